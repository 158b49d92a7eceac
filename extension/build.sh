#!/usr/bin/env bash
# Build the VS Code extension: npm ci (only when package-lock.json changed), type-check, bundle
# with esbuild, and package the .vsix at the repository root.
#
#   bash extension/build.sh                    -> mlsense-<version>.vsix (server not bundled: it runs
#                                                 the mlsense installed in the interpreter)
#   bash extension/build.sh --target linux-x64 -> mlsense-linux-x64-<version>.vsix with the server
#                                                 and its dependencies (libcst is native code) in
#                                                 extension/out/bundled/libs, used by default
#
# Both carry the mlsense wheel in extension/out/bundled/wheels: "Install mlsense" installs that
# file, never a name from a package index. Building it needs a Python with pip (MLSENSE_PYTHON,
# default .venv/bin/python).
#
# vsce is run in a staging folder holding only the shipped files: run at the repository root it
# would walk .venv and every other folder of this Python package before filtering.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGET=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET="${2:?--target needs a platform, e.g. linux-x64}"; shift 2 ;;
    *) echo "build.sh: unknown argument $1 (use --target linux-x64)" >&2; exit 2 ;;
  esac
done
PYTHON="${MLSENSE_PYTHON:-$ROOT/.venv/bin/python}"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (Node 20+ is needed)" >&2; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "build.sh: Node 20+ is needed, found $(node --version)" >&2; exit 1; }

# npm ci wipes node_modules; skip it when the lock file is what was installed last time.
LOCK_HASH=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.mlsense-lock-hash 2>/dev/null)" != "$LOCK_HASH" ]; then
  npm ci --no-audit --no-fund
  echo "$LOCK_HASH" > node_modules/.mlsense-lock-hash
fi

VERSION=$(node -p 'require("./package.json").version')
rm -rf extension/out
node node_modules/typescript/bin/tsc -p extension/tsconfig.json --noEmit
node extension/esbuild.mjs --production

STAGE=extension/out/stage
mkdir -p "$STAGE/extension/out" "$STAGE/docs"
cp package.json "$STAGE/"
cp extension/out/extension.js "$STAGE/extension/out/"
cp docs/editors.md "$STAGE/docs/" 2>/dev/null || true
for f in README.md LICENSE CHANGELOG.md; do
  [ -f "$f" ] && cp "$f" "$STAGE/"
done
VSCE_ARGS=(--no-dependencies --no-rewrite-relative-links --allow-missing-repository)
[ -f LICENSE ] || VSCE_ARGS+=(--skip-license)

[ -x "$PYTHON" ] || { echo "build.sh: the mlsense wheel needs a Python with pip: $PYTHON (set MLSENSE_PYTHON)" >&2; exit 1; }
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WHEELS" "$ROOT"
mkdir -p "$STAGE/extension/out/bundled/wheels"
cp "$WHEELS"/mlsense-*.whl "$STAGE/extension/out/bundled/wheels/"

if [ -n "$TARGET" ]; then
  case "$TARGET" in
    linux-x64) ARCH=x86_64 ;;
    linux-arm64) ARCH=aarch64 ;;
    *) echo "build.sh: no wheel platform known for target $TARGET" >&2; exit 2 ;;
  esac
  # Dependencies as binary wheels for the target platform. Native modules (libcst, pyyaml) are
  # per CPython version: install for each supported one and merge their extension modules, so the
  # bundle runs on any of them (the pure-Python files are identical).
  LIBS="$STAGE/extension/out/bundled/libs"
  for PYVER in 3.11 3.12 3.13; do
    # The first resolution pins the versions for the others (the .so files must match the .py).
    PIN=()
    [ -f "$WHEELS/pins.txt" ] && PIN=(-c "$WHEELS/pins.txt")
    "$PYTHON" -m pip install --quiet --no-compile --target "$WHEELS/$PYVER" "${PIN[@]}" \
      --platform "manylinux_2_28_$ARCH" --platform "manylinux2014_$ARCH" \
      --python-version "$PYVER" --implementation cp --only-binary=:all: "$WHEELS"/mlsense-*.whl
    if [ ! -d "$LIBS" ]; then
      "$PYTHON" -m pip list --path "$WHEELS/$PYVER" --format freeze --exclude mlsense > "$WHEELS/pins.txt"
      mkdir -p "$(dirname "$LIBS")" && cp -r "$WHEELS/$PYVER" "$LIBS"
      rm -rf "$LIBS/bin"
    else
      (cd "$WHEELS/$PYVER" && find . -name '*.so' -exec cp --parents {} "$ROOT/$LIBS/" \;)
    fi
  done
  OUT="mlsense-$TARGET-$VERSION.vsix"
  VSCE_ARGS+=(--target "$TARGET")
else
  OUT="mlsense-$VERSION.vsix"
fi

rm -f "$OUT"
(cd "$STAGE" && node "$ROOT/node_modules/@vscode/vsce/vsce" package "${VSCE_ARGS[@]}" --out "$ROOT/$OUT")
[ -s "$OUT" ] || { echo "build.sh: vsce did not produce $OUT" >&2; exit 1; }
echo "built $OUT ($(du -h "$OUT" | cut -f1))"

#!/usr/bin/env bash
# Extension tests (after extension/build.sh): type-check, then with Node's test runner the unit
# tests (vscode API replaced behind the wrapper), the smoke test (the real server over stdio, started
# as the extension starts it) and the .vsix content checks.
#
# MLSENSE_PYTHON: the Python with mlsense installed (default: .venv/bin/python).
# MLSENSE_TEST_BUNDLED=1: the platform-specific .vsix (linux-x64) must be there and is checked
# (the set-up builds it on Linux x86_64).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || { echo "test.sh: node_modules missing: run extension/build.sh first" >&2; exit 1; }
VERSION=$(node -p 'require("./package.json").version')
[ -f "mlsense-$VERSION.vsix" ] || { echo "test.sh: mlsense-$VERSION.vsix missing: run extension/build.sh first" >&2; exit 1; }
if [ "${MLSENSE_TEST_BUNDLED:-0}" = "1" ] && [ ! -f "mlsense-linux-x64-$VERSION.vsix" ]; then
  echo "test.sh: MLSENSE_TEST_BUNDLED=1 but mlsense-linux-x64-$VERSION.vsix is missing (make setup builds it)" >&2
  exit 1
fi

node node_modules/typescript/bin/tsc -p extension/tsconfig.json --noEmit
rm -rf extension/out/test
node extension/esbuild.mjs --tests
node --test extension/out/test/unit/*.test.js extension/out/test/*.test.js

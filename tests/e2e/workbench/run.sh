#!/usr/bin/env bash
# The real-workbench suite (tests/e2e/workbench/suite.test.mjs): installs its toolchain once
# (setup.sh, cached in .cache/workbench), needs the platform .vsix (extension/build.sh --target
# linux-x64) and .venv, then runs the scenarios one after another. Screenshots and code-server
# logs: build/workbench/.
set -euo pipefail
cd "$(dirname "$0")/../../.."
TOOLS=$(bash tests/e2e/workbench/setup.sh)
VERSION=$(node -p 'require("./package.json").version')
VSIX="mlsense-linux-x64-$VERSION.vsix"
# (Re)build the platform .vsix when it is missing or older than what it bundles.
if [ ! -f "$VSIX" ] || [ -n "$(find analyzers server translators extension/src __init__.py __main__.py \
    package.json pyproject.toml -newer "$VSIX" -type f -print -quit 2>/dev/null)" ]; then
  bash extension/build.sh --target linux-x64
fi
rm -rf build/workbench && mkdir -p build/workbench
export MLSENSE_WORKBENCH_TOOLS="$TOOLS"
"$TOOLS/node/home/bin/node" --test --test-concurrency=1 --test-timeout=600000 \
  --test-reporter=spec tests/e2e/workbench/suite.test.mjs "$@"

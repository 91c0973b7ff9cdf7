#!/usr/bin/env bash
# Benchmarks (timing goals live here, not in tests): sets up the machine, runs the bench
# binaries against the real provider and a private Secret Service, then the real-window
# benchmark (tests/bench/window.mjs): the example app built in release with `--features bench`,
# under Xvfb over WebDriver, authFetch against the webview's fetch and @tauri-apps/plugin-http.
# BENCH_RUNS (default 15) sets the interleaved rounds (GET) and runs (POST) per cell of the
# real-window benchmark, BENCH_RSS_RUNS (default 3) its memory blocks; BENCH_WINDOW_ONLY=1
# skips the bench binaries and the size checks. Last, unless BENCH_WINDOW_ONLY=1 or BENCH_SIZE=0:
# `scripts/size.sh --check`, with cargo's default release profile and with Tauri's size profile
# (what the plugin adds to a release app; each fails when it grew past its figure in that script
# plus 5%; cold, each builds two Tauri apps in release, 12-25 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi
scripts/setup.sh
export BROWSER="$PWD/tests/support/browser-standin.mjs"
if [ "${BENCH_WINDOW_ONLY:-0}" != 1 ]; then
  scripts/with-keyring.sh cargo bench --locked --bench get_token --bench fetch --bench startup
fi

echo "== real-window benchmark"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# @tauri-apps/plugin-http (pinned by package-lock.json) for the page, which has no bundler.
npx rollup --silent -c tests/bench/rollup.config.mjs
# The app embeds the plugin's api-iife.js and its dist/ when its crate compiles, and cargo does
# not see those files change: recompile it when one is newer than the binary.
if [ -e target/release/token-vault-example-app ] && [ -n "$(find api-iife.js examples/app/dist -newer target/release/token-vault-example-app -print -quit)" ]; then
  touch examples/app/src-tauri/src/main.rs
fi
cargo build --locked --release -p token-vault-example-app --features bench
export E2E_APP="$PWD/target/release/token-vault-example-app"
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node tests/bench/window.mjs

if [ "${BENCH_WINDOW_ONLY:-0}" != 1 ] && [ "${BENCH_SIZE:-1}" != 0 ]; then
  echo "== footprint"
  scripts/size.sh --check
  scripts/size.sh --check --tauri-profile
fi

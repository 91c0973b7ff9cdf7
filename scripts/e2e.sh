#!/usr/bin/env bash
# The real-window end-to-end test: builds the example app, then runs tests/e2e/ under Xvfb with
# a private Secret Service; WebDriver through tauri-driver + WebKitWebDriver. Screenshots go to
# target/e2e/ (signed-in.png on success, failure-*.png on failure).
# Usage: scripts/e2e.sh   (scripts/test.sh runs it; scripts/setup.sh installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi
# The app embeds the plugin's api-iife.js and its dist/ when its crate compiles, and cargo does
# not see those files change: recompile it when one is newer than the binary.
if [ -e target/debug/token-vault-example-app ] && [ -n "$(find api-iife.js examples/app/dist -newer target/debug/token-vault-example-app -print -quit)" ]; then
  touch examples/app/src-tauri/src/main.rs
fi
cargo build --locked -p token-vault-example-app
export E2E_APP="$PWD/target/debug/token-vault-example-app"
export E2E_OUT="$PWD/target/e2e"
rm -rf "$E2E_OUT"
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node --test --test-concurrency=1 tests/e2e/

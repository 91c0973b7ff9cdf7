#!/usr/bin/env bash
# The public API check: rustdoc's JSON description of the library (default features), then
# scripts/check-public-api.py counts the public items and fails when a foreign type (outside
# std, tauri, serde/serde_json, url, zeroize) appears in a public signature, field, variant or
# trait impl. rustdoc's JSON output is unstable: RUSTC_BOOTSTRAP=1 lets the stable toolchain
# produce it (for this check only, in its own target directory, since cargo rebuilds every
# dependency when RUSTC_BOOTSTRAP changes).
# Usage: scripts/check-public-api.sh [--list]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi
export CARGO_TARGET_DIR="$PWD/target/rustdoc-json"
RUSTC_BOOTSTRAP=1 cargo rustdoc --lib --locked --quiet -- -Z unstable-options --output-format json
python3 scripts/check-public-api.py "$CARGO_TARGET_DIR/doc/tauri_plugin_token_vault.json" "$@"

#!/usr/bin/env bash
# iOS and Android, as far as this Linux machine allows (no device, no Xcode, no Android SDK):
#  - scripts/mobile/check-android.sh: the Kotlin half compiled against tauri's Android library,
#    `cargo check` and `clippy -D warnings` of the library for aarch64-linux-android;
#  - scripts/mobile/check-ios.sh: the Swift half parsed by tree-sitter's Swift grammar, `cargo check`
#    and `clippy -D warnings` of the library for aarch64-apple-ios, no desktop sign-in crates.
# The names the natives share with src/mobile.rs are checked by tests/mobile_contract.rs (cargo test).
# Each script installs what it needs (idempotent) and keeps its outputs under target/; this one
# then verifies that the work tree is as it found it (`git status` unchanged): a build step that
# writes into the sources (tauri's android/.tauri/ copy, say) must be git-ignored, not committed.
# Usage: scripts/check-mobile.sh
set -euo pipefail
cd "$(dirname "$0")/.."

status() { git status --porcelain --untracked-files=all; }
before=$(status)

seconds() { date +%s; }
run() {
  local script=$1 start
  start=$(seconds)
  bash "$script"
  echo "check-mobile: $script passed in $(($(seconds) - start)) s"
}

echo "== mobile: Android"
if [ -f scripts/mobile/check-android.sh ]; then
  run scripts/mobile/check-android.sh
elif [ -d android/src ]; then
  echo "check-mobile: android/ has sources but scripts/mobile/check-android.sh is missing" >&2
  exit 1
else
  echo "check-mobile: no Android half yet (android/src, scripts/mobile/check-android.sh): skipped"
fi

echo "== mobile: iOS"
run scripts/mobile/check-ios.sh

after=$(status)
if [ "$before" != "$after" ]; then
  echo "check-mobile: the mobile checks changed the work tree (git status before, after):" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "check-mobile: the work tree is unchanged"

#!/usr/bin/env bash
# Windows and macOS, as far as this Linux machine allows:
#  - `cargo check` and `cargo clippy -D warnings` of the library for x86_64-pc-windows-gnu and
#    aarch64-apple-darwin (Windows: also the library's unit tests, `--profile test`);
#  - the library's unit tests for Windows, built with mingw and run under Wine, among them the
#    store conformance suite against Wine's Credential Manager (`windows_credential_manager`).
# Nothing here runs on a real Windows or macOS. Installs what it needs (idempotent: Debian packages,
# rustup targets); every output stays under target/cross/ (its own cargo target directory, so the
# main target/ is never locked or invalidated); Wine runs in a temporary prefix.
# Usage: scripts/check-desktop-platforms.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

WIN=x86_64-pc-windows-gnu
MAC=aarch64-apple-darwin
WINE=/usr/lib/wine/wine64

# Both targets share one cargo target directory: cargo keeps their outputs apart
# (target/cross/<target>/) and builds the host's build scripts and proc macros once.
export CARGO_TARGET_DIR=target/cross
# No debug info: a faster build and mingw link, a smaller target/cross. Panics still give file
# and line.
export CARGO_PROFILE_DEV_DEBUG=0

# mingw (links the Windows test binary, compiles ring's C and the stub DLL), Wine 8 (runs it),
# clang + llvm-ar (ring's C for macOS, with the stand-in headers of scripts/cross/include).
PACKAGES=(gcc-mingw-w64-x86-64 wine64 clang llvm)
# shellcheck source=lib/apt.sh
. scripts/lib/apt.sh
apt_ensure check-desktop-platforms "${PACKAGES[@]}"

if ! command -v rustup >/dev/null 2>&1; then
  echo "check-desktop-platforms: rustup not found (needed to add the $WIN and $MAC targets)" >&2
  exit 1
fi
installed=$(rustup target list --installed)
for t in "$WIN" "$MAC"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

echo "== Windows ($WIN): cargo check, clippy -D warnings (library; library with its unit tests)"
cargo check --lib --locked --target "$WIN"
cargo clippy --lib --locked --target "$WIN" -- -D warnings
cargo clippy --lib --profile test --locked --target "$WIN" -- -D warnings

echo "== macOS ($MAC): cargo check, clippy -D warnings (library)"
(
  # shellcheck source=scripts/cross/apple-cc-env.sh
  . scripts/cross/apple-cc-env.sh
  apple_cc_env "$MAC" arm64-apple-macos11 "$CARGO_TARGET_DIR/empty-sdk"
  cargo check --lib --locked --target "$MAC"
  cargo clippy --lib --locked --target "$MAC" -- -D warnings
)

echo "== Windows ($WIN): the library's unit tests under Wine ($("$WINE" --version))"
exe=$(cargo test --lib --locked --target "$WIN" --no-run --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ ! -f "$exe" ]; then
  echo "check-desktop-platforms: no test executable from cargo test --no-run" >&2
  exit 1
fi
# Rust's std takes its random numbers from bcryptprimitives.dll!ProcessPrng, which Wine 8 lacks:
# a stand-in DLL next to the test binary (searched first) provides it.
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -o "$(dirname "$exe")/bcryptprimitives.dll" \
  scripts/cross/wine/process-prng.c -lbcrypt

prefix=$(mktemp -d "${TMPDIR:-/tmp}/token-vault-wine.XXXXXX")
log="$CARGO_TARGET_DIR/wine-unit-tests.log"
cleanup() {
  WINEPREFIX="$prefix" /usr/lib/wine/wineserver -k 2>/dev/null || true
  rm -rf "$prefix"
}
trap cleanup EXIT
# A fresh prefix: an empty Credential Manager; no Mono/Gecko install prompts; no window.
wine() {
  env -u DISPLAY -u WAYLAND_DISPLAY WINEPREFIX="$prefix" WINEDEBUG=-all \
    WINEDLLOVERRIDES="mscoree,mshtml=" RUST_BACKTRACE=1 timeout 900 "$WINE" "$@"
}
# Create the prefix first, its chatter (wine64 alone has no 32-bit rundll32) in a log.
wine wineboot --init >"$CARGO_TARGET_DIR/wineboot.log" 2>&1
WINEPREFIX="$prefix" /usr/lib/wine/wineserver -w
set +e
wine "$exe" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "check-desktop-platforms: the Windows unit tests failed under Wine (exit $status)" >&2
  exit 1
fi
# The Credential Manager conformance test must have run, not been compiled out.
for t in windows_credential_manager_conformance windows_credential_manager_at_the_blob_limit; do
  if ! grep -q "::$t \.\.\. ok" "$log"; then
    echo "check-desktop-platforms: $t did not run under Wine" >&2
    exit 1
  fi
done

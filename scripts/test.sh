#!/usr/bin/env bash
# The test command: sets up a fresh Debian/Ubuntu machine (scripts/setup.sh), then runs every
# check and test: formatting, clippy, unit tests, and the integration tests against the real
# OpenID provider (tests/idp) and the real Secret Service (gnome-keyring), with the headless
# browser stand-in as $BROWSER.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

scripts/setup.sh

export BROWSER="$PWD/tests/support/browser-standin.mjs"
export RUST_BACKTRACE=1

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== features: without fetch; native-tls instead of rustls"
cargo clippy --lib --locked --no-default-features --features rustls-tls -- -D warnings
cargo clippy --lib --locked --no-default-features --features native-tls,fetch -- -D warnings

echo "== cargo doc: no rustdoc warnings, in private items too (then the public docs in target/doc)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked --document-private-items
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked

echo "== public API: item count, no foreign types outside the allowed crates"
scripts/check-public-api.sh

echo "== MSRV: no dependency needs a newer Rust; the library builds with the declared one"
scripts/check-msrv.sh

scripts/check-desktop-platforms.sh  # Windows and macOS: cross check + clippy; unit tests under Wine
scripts/check-mobile.sh  # Android and iOS: native halves (Kotlin compile, Swift parse), cross check + clippy

echo "== guest-js: build is fresh, JS tests"
scripts/check-js.sh

echo "== cargo test"
# Unit, integration and doc tests; examples are built too (tests/cli.rs runs the CLI). They run
# against a private, unlocked gnome-keyring Secret Service on a private D-Bus session bus.
scripts/with-keyring.sh cargo test --locked "$@"

echo "== end to end: the example app in a real window (Xvfb, WebDriver)"
scripts/e2e.sh

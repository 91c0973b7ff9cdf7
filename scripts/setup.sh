#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Ubuntu machine (idempotent):
# Debian packages, a Rust toolchain check, and the test provider's npm packages (pinned by
# tests/idp/package-lock.json). Usage: scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

# Tauri (webkit2gtk) to build; openssl for the test provider's per-run certificate; node + npm for
# the provider itself; gnome-keyring + D-Bus for a real Secret Service (the Linux credential store).
# xvfb + WebKitWebDriver for the real-window end-to-end test.
# libssl-dev: the `native-tls` feature's check. libdbus-1-dev (with pkg-config): the Linux
# credential store talks to the Secret Service through the system's libdbus-1.
PACKAGES=(libwebkit2gtk-4.1-dev pkg-config libdbus-1-dev build-essential openssl libssl-dev
  ca-certificates gnome-keyring dbus dbus-x11 libsecret-tools xvfb xauth webkit2gtk-driver)
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

# shellcheck source=lib/apt.sh
. scripts/lib/apt.sh
apt_ensure setup "${PACKAGES[@]}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust from https://rustup.rs (stable)" >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: warning: node $(node --version) is older than 20; oidc-provider 9 wants 20 or newer" >&2
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

if [ ! -f tests/idp/node_modules/oidc-provider/package.json ]; then
  echo "setup: npm ci in tests/idp"
  (cd tests/idp && npm ci --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# Benchmarks (timing goals live here, not in tests): sets up the machine, then runs the bench
# binaries against the real provider and a private Secret Service.
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi
scripts/setup.sh
export BROWSER="$PWD/tests/support/browser-standin.mjs"
scripts/with-keyring.sh cargo bench --locked --bench get_token --bench fetch

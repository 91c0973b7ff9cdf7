#!/usr/bin/env bash
# Benchmarks (timing goals live here, not in tests): sets up the machine, then runs the bench
# binaries against the real provider and a private Secret Service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BROWSER="$PWD/tests/support/browser-standin.mjs"
scripts/with-keyring.sh cargo bench --locked --bench get_token --bench fetch

#!/usr/bin/env bash
# The demo command: sets up the machine (scripts/setup.sh), starts the bundled dev provider
# (tests/idp, oidc-provider with its real login and consent forms) on https://127.0.0.1:<port>,
# and runs the `cli` example through your system browser: login (session stored in the OS
# credential store), status, refresh, logout.
#
# The provider's certificate is self-signed and made per run: your browser will warn about it
# once; accept it for 127.0.0.1 to see the login form. Any user name and password log in.
# Set BROWSER to choose the browser (e.g. BROWSER=tests/support/browser-standin.mjs for a
# headless run that fills the form as "alice").
# Usage: scripts/demo.sh [extra cli options, e.g. --param login_hint=bob]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

state=$(mktemp -d)
ready="$state/ready.json"
IDP_STATE_DIR="$state" node tests/idp/server.mjs >"$ready" 2>"$state/idp.log" &
idp_pid=$!
trap 'kill $idp_pid 2>/dev/null || true; rm -rf "$state"' EXIT

for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  kill -0 $idp_pid 2>/dev/null || { cat "$state/idp.log" >&2; exit 1; }
  sleep 0.1
done
issuer=$(node -p "JSON.parse(require('fs').readFileSync('$ready','utf8')).issuer")
ca=$(node -p "JSON.parse(require('fs').readFileSync('$ready','utf8')).caCert")
echo "demo: dev provider at $issuer (client tv-native)"

export TOKEN_VAULT_ISSUER="$issuer" TOKEN_VAULT_CLIENT_ID=tv-native TOKEN_VAULT_CA_CERT="$ca"
export TOKEN_VAULT_SCOPE="openid profile email offline_access"
export TOKEN_VAULT_SERVICE="token-vault-demo" TOKEN_VAULT_DATA_DIR="$state/locks"
cargo build --quiet --example cli
cli=target/debug/examples/cli
demo() {
  echo "\$ cli login";   "$cli" "$@" login
  echo "\$ cli status";  "$cli" status
  echo "\$ cli refresh"; "$cli" refresh
  echo "\$ cli logout";  "$cli" logout
}
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # Your desktop session's credential store (Keychain-like Secret Service).
  demo "$@"
else
  echo "demo: no D-Bus session: using a private, temporary gnome-keyring"
  export -f demo; export cli
  scripts/with-keyring.sh bash -c 'demo "$@"' demo "$@"
fi

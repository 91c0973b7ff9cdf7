#!/usr/bin/env bash
# The demo command. Sets up the machine (scripts/setup.sh), starts the bundled dev provider
# (tests/idp: oidc-provider with its real login and consent forms) on https://127.0.0.1:<port>,
# builds the example app (examples/app) and launches it against that provider.
#
# In the app: "Log in" opens your system browser on the provider's login form. Its certificate
# is self-signed and made per run, so the browser warns once: accept it for 127.0.0.1. Any
# user name and password log in. Then "Call protected API", "Refresh", "Log out", or close and
# re-run to see the session restored from your credential store.
#
#   scripts/demo.sh          the example app (needs a display)
#   scripts/demo.sh --cli    the headless CLI demo: login, status, refresh, logout
# Set BROWSER to choose the browser (BROWSER=$PWD/tests/support/browser-standin.mjs fills the
# form by itself as "alice").
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

mode=app
if [ "${1:-}" = "--cli" ]; then mode=cli; shift; fi

if [ "$mode" = app ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'MSG'
demo: no display ($DISPLAY and $WAYLAND_DISPLAY are unset), so the example app has no window.
  Run it on a desktop session, or under a virtual display:  xvfb-run -a scripts/demo.sh
  (the window is then invisible; scripts/e2e.sh drives it that way and takes screenshots),
  or try the headless CLI demo:                              scripts/demo.sh --cli
MSG
  exit 2
fi

scripts/setup.sh

state=$(mktemp -d)
ready="$state/ready.json"
IDP_DEVICE=1 IDP_STATE_DIR="$state" node tests/idp/server.mjs >"$ready" 2>"$state/idp.log" &
idp_pid=$!
trap 'kill $idp_pid 2>/dev/null || true; rm -rf "$state"' EXIT

for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  kill -0 $idp_pid 2>/dev/null || { cat "$state/idp.log" >&2; exit 1; }
  sleep 0.1
done
issuer=$(node -p "JSON.parse(require('fs').readFileSync('$ready','utf8')).issuer")
ca=$(node -p "JSON.parse(require('fs').readFileSync('$ready','utf8')).caCert")
echo "demo: dev provider at $issuer (client tv-native; any user name and password)"

export TOKEN_VAULT_ISSUER="$issuer" TOKEN_VAULT_CLIENT_ID=tv-native TOKEN_VAULT_CA_CERT="$ca"
export TOKEN_VAULT_SCOPE="openid profile email offline_access"

# Without a session bus there is no credential store: use a private, temporary gnome-keyring.
with_store() {
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then "$@"; else
    echo "demo: no D-Bus session: using a private, temporary gnome-keyring"
    scripts/with-keyring.sh "$@"
  fi
}

if [ "$mode" = app ]; then
  cargo build --locked -p token-vault-example-app
  echo "demo: launching the example app"
  with_store target/debug/token-vault-example-app
else
  export TOKEN_VAULT_SERVICE="token-vault-demo" TOKEN_VAULT_DATA_DIR="$state/locks"
  cargo build --locked --quiet --example cli
  cat >"$state/cli-demo.sh" <<'DEMO'
set -e
cli=target/debug/examples/cli
echo "\$ cli login";   "$cli" "$@" login
echo "\$ cli status";  "$cli" status
echo "\$ cli refresh"; "$cli" refresh
echo "\$ cli logout";  "$cli" logout
DEMO
  with_store bash "$state/cli-demo.sh" "$@"
fi

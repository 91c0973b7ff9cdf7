#!/usr/bin/env bash
# Runs a command with a private D-Bus session bus and an unlocked gnome-keyring Secret Service
# whose keyrings live in a fresh temporary directory, so tests never touch your own keyring.
# Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$(mktemp -d)"
  # gnome-keyring needs the login keyring password on stdin to create and unlock it.
  eval "$(printf "token-vault-tests" | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' with-keyring "$@"

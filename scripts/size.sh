#!/usr/bin/env bash
# Footprint: what tauri-plugin-token-vault adds to an app's binary (issue 14).
#
# Builds, in one shared release target directory outside the repository, two Tauri apps
# generated from the template below (the same tauri and tauri-build versions as the example,
# pinned from Cargo.lock, same features): (a) bare, no plugin, and (b) the same plus only
# tauri-plugin-token-vault (a path dependency on this checkout, default features, initialised
# in the builder with `init()`, its default permission granted); strips copies of both and
# prints their sizes and the difference. The example app is not measured (it has its own code
# and may gain other plugins for its demos); only --idle runs it.
#
# Usage: scripts/size.sh [--check] [--compare] [--idle] [--no-build] [--tauri-profile]
#   --check    exit 1 when what the plugin adds exceeds ADDED_LIMIT_BYTES below (or
#              $SIZE_ADDED_LIMIT_BYTES), printing both numbers.
#   --compare  also build the bare app with tauri-plugin-keyring-store and with
#              tauri-plugin-http (each initialised in the builder) and print what each adds.
#   --idle     also build the example app and run it and the bare app under Xvfb with a
#              private Secret Service (as scripts/e2e.sh does) and print threads and resident
#              memory of the app process: bare, example signed out, after a sign-in, after
#              one authFetch (scripts/lib/idle.mjs).
#   --no-build measure the binaries a previous run built in $SIZE_TARGET_DIR (no cargo build).
#   --tauri-profile  build everything with the release profile Tauri's App Size guide gives apps
#              (https://v2.tauri.app/concept/size/: codegen-units 1, LTO, opt-level "s",
#              panic abort; set through CARGO_PROFILE_RELEASE_*), in its own target directory
#              (default /tmp/tv-size-target-tauri); --check then uses that profile's figure.
# Environment: SIZE_TARGET_DIR (default /tmp/tv-size-target) holds the builds, the generated
# apps (apps/) and the stripped copies (stripped/). Sizes are in bytes and MB (10^6 bytes).
# SIZE_TV_FEATURES, when set (a comma-separated list, possibly empty), builds the plugin with
# `default-features = false` and those features instead of its defaults (e.g. "rustls-tls" to
# see what `fetch` costs); --check is meant for the defaults.
# Profile: cargo build --release, cargo's default release profile (the generated apps'
# workspace has no [profile.release]; opt-level 3, no LTO, codegen-units 16, panic unwind);
# --idle's example app builds in this workspace, which has none either; or, with
# --tauri-profile, Tauri's. Binaries are measured after `strip`.
# Not part of scripts/test.sh (the CI budget): a cold run builds three Tauri apps in release.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

# What the plugin may add (stripped, release) before --check fails: the figures measured on
# 2026-11-27 (see README, Benchmarks > Footprint) plus a 5% margin. Cargo's default profile:
# at ee96811 (session futures boxed by non-generic functions, spawned tasks boxed), 6.55 MB
# with the margin; Tauri's size profile (--tauri-profile): at 9919215, 3.04 MB with the margin.
# When a change makes the plugin smaller, lower these to the new figures; when growth is
# deliberate, raise them with the new measurements in the README.
MEASURED_ADDED_BYTES_DEFAULT_PROFILE=6242464
MEASURED_ADDED_BYTES_TAURI_PROFILE=2893136

# The comparison plugins (--compare), pinned so the numbers can be reproduced.
KEYRING_STORE_VERSION="=0.2.0"
HTTP_VERSION="=2.8.3"

check=0 compare=0 idle=0 nobuild=0 tauri_profile=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --compare) compare=1 ;;
    --idle) idle=1 ;;
    --no-build) nobuild=1 ;;
    --tauri-profile) tauri_profile=1 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "size.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [ "$tauri_profile" = 1 ]; then
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_LTO=true
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_PANIC=abort
  PROFILE_NAME="Tauri's size profile (codegen-units 1, LTO, opt-level s, panic abort)"
  MEASURED_ADDED_BYTES=$MEASURED_ADDED_BYTES_TAURI_PROFILE
  TARGET=${SIZE_TARGET_DIR:-/tmp/tv-size-target-tauri}
else
  PROFILE_NAME="cargo's default release profile"
  MEASURED_ADDED_BYTES=$MEASURED_ADDED_BYTES_DEFAULT_PROFILE
  TARGET=${SIZE_TARGET_DIR:-/tmp/tv-size-target}
fi
ADDED_LIMIT_BYTES=$((MEASURED_ADDED_BYTES * 105 / 100))
ADDED_LIMIT_BYTES=${SIZE_ADDED_LIMIT_BYTES:-$ADDED_LIMIT_BYTES}
APPS="$TARGET/apps"
OUT="$TARGET/stripped"
mkdir -p "$TARGET" "$APPS" "$OUT"
export CARGO_TARGET_DIR="$TARGET"

# The versions the example app builds with (Cargo.lock).
lock_version() {
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
TAURI_VERSION=$(lock_version tauri)
TAURI_BUILD_VERSION=$(lock_version tauri-build)
[ -n "$TAURI_VERSION" ] && [ -n "$TAURI_BUILD_VERSION" ] || { echo "size.sh: tauri not in Cargo.lock" >&2; exit 2; }

# One generated app: $1 the package name, $2 the extra dependency line (or empty), $3 the
# builder call that initialises the plugin (or empty), $4 the plugin's default permission.
gen_app() {
  local name=$1 dep=$2 init=$3 perm=$4 dir="$APPS/$1"
  mkdir -p "$dir/src" "$dir/icons" "$dir/capabilities"
  cp examples/app/src-tauri/icons/icon.png "$dir/icons/icon.png"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$name"
version = "0.1.0"
edition = "2021"
publish = false

[build-dependencies]
tauri-build = { version = "=$TAURI_BUILD_VERSION", features = [] }

[dependencies]
tauri = { version = "=$TAURI_VERSION", features = [] }
$dep
EOF
  cat >"$dir/build.rs" <<'EOF'
fn main() {
    tauri_build::build()
}
EOF
  cat >"$dir/src/main.rs" <<EOF
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
fn main() {
    tauri::Builder::default()
        $init
        .run(tauri::generate_context!())
        .expect("error while running the app");
}
EOF
  cat >"$dir/tauri.conf.json" <<EOF
{
  "productName": "$name",
  "version": "0.1.0",
  "identifier": "com.example.tvsize.${name//-/}",
  "build": { "frontendDist": "../dist" },
  "app": {
    "withGlobalTauri": true,
    "windows": [{ "label": "main", "title": "$name", "width": 760, "height": 680 }]
  },
  "bundle": { "active": false, "icon": ["icons/icon.png"] }
}
EOF
  cat >"$dir/capabilities/default.json" <<EOF
{ "identifier": "default", "windows": ["main"], "permissions": ["core:default"${perm:+, \"$perm\"}] }
EOF
}

# The plugin as an app adds it: default features unless SIZE_TV_FEATURES says otherwise.
tv_dep="tauri-plugin-token-vault = { path = \"$ROOT\" }"
if [ -n "${SIZE_TV_FEATURES+set}" ]; then
  tv_features=$(printf '%s' "$SIZE_TV_FEATURES" | awk -F, '{ for (i = 1; i <= NF; i++) if ($i != "") printf "%s\"%s\"", (n++ ? ", " : ""), $i }')
  tv_dep="tauri-plugin-token-vault = { path = \"$ROOT\", default-features = false, features = [$tv_features] }"
fi

members='"bare", "with-token-vault"'
mkdir -p "$APPS/dist"
echo '<!doctype html><title>size</title>' >"$APPS/dist/index.html"
gen_app bare "" "" ""
gen_app with-token-vault "$tv_dep" ".plugin(tauri_plugin_token_vault::init())" "token-vault:default"
if [ "$compare" = 1 ]; then
  gen_app with-keyring-store "tauri-plugin-keyring-store = \"$KEYRING_STORE_VERSION\"" \
    ".plugin(tauri_plugin_keyring_store::init())" "keyring-store:default"
  gen_app with-http "tauri-plugin-http = \"$HTTP_VERSION\"" \
    ".plugin(tauri_plugin_http::init())" "http:default"
  members='"bare", "with-token-vault", "with-keyring-store", "with-http"'
fi
cat >"$APPS/Cargo.toml" <<EOF
[workspace]
resolver = "2"
members = [$members]
EOF
# Start from the example's lock file so that every crate the apps share with it has the same
# version; cargo drops what the apps do not use and adds the comparison plugins.
cp Cargo.lock "$APPS/Cargo.lock"

# $1 package, $2 binary path, $3 stripped name: build in release and strip a copy.
build() {
  if [ "$nobuild" = 0 ]; then
    echo "size.sh: cargo build --release -p $1" >&2
    cargo build --release --quiet -p "$1" "${@:4}"
  fi
  [ -x "$2" ] || { echo "size.sh: $2 is not built" >&2; exit 2; }
  strip -o "$OUT/$3" "$2"
}
bytes() { stat -c %s "$OUT/$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

(cd "$APPS" && build bare "$TARGET/release/bare" bare)
(cd "$APPS" && build with-token-vault "$TARGET/release/with-token-vault" with-token-vault)

bare=$(bytes bare)
with=$(bytes with-token-vault)
added=$((with - bare))
echo "profile: release (cargo build --release), $PROFILE_NAME, stripped; $(rustc --version); tauri $TAURI_VERSION"
echo "bare: $(mb "$bare") ($bare bytes)"
echo "with token-vault${SIZE_TV_FEATURES+ (features: ${SIZE_TV_FEATURES:-none})}: $(mb "$with") ($with bytes)"
echo "token-vault adds: $(mb "$added") ($added bytes)"

if [ "$compare" = 1 ]; then
  (cd "$APPS" && build with-keyring-store "$TARGET/release/with-keyring-store" with-keyring-store)
  (cd "$APPS" && build with-http "$TARGET/release/with-http" with-http)
  ks=$(cd "$APPS" && lock_version tauri-plugin-keyring-store)
  hp=$(cd "$APPS" && lock_version tauri-plugin-http)
  fs=$(cd "$APPS" && lock_version tauri-plugin-fs)
  for app in with-keyring-store with-http; do
    b=$(bytes "$app")
    case "$app" in
      with-keyring-store) label="tauri-plugin-keyring-store $ks" ;;
      with-http) label="tauri-plugin-http $hp (with tauri-plugin-fs $fs)" ;;
    esac
    echo "with $label: $(mb "$b") ($b bytes); adds $(mb $((b - bare))) ($((b - bare)) bytes)"
  done
fi

if [ "$idle" = 1 ]; then
  build token-vault-example-app "$TARGET/release/token-vault-example-app" example-app --locked
  scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" \
    node scripts/lib/idle.mjs "$TARGET/release/bare" "$TARGET/release/token-vault-example-app"
fi

if [ "$check" = 1 ]; then
  if [ "$added" -gt "$ADDED_LIMIT_BYTES" ]; then
    echo "size check FAILED: token-vault adds $(mb "$added") ($added bytes), over the limit $(mb "$ADDED_LIMIT_BYTES") ($ADDED_LIMIT_BYTES bytes)" >&2
    exit 1
  fi
  echo "size check passed: token-vault adds $(mb "$added") ($added bytes), limit $(mb "$ADDED_LIMIT_BYTES") ($ADDED_LIMIT_BYTES bytes)"
fi

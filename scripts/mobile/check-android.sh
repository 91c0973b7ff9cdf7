#!/usr/bin/env bash
# Android, as far as this Linux machine allows (no Android SDK, Gradle or device is reachable):
#  1. Rust: `cargo check` and `cargo clippy -D warnings` of the library for aarch64-linux-android
#     (tauri's `wry` feature: `register_android_plugin` and the mobile plugin API need it);
#  2. the desktop-only browser step stays out of the Android build: no `webbrowser`, no direct
#     hyper/hyper-util/http-body-util dependency, and hyper without its `server` feature (reqwest
#     still brings hyper's client);
#  3. Kotlin: the plugin's sources (android/src/main/java) compiled with -Werror by the JetBrains
#     compiler against tauri's own Android library (compiled from the `tauri` crate that Cargo.lock
#     resolves) and small hand-written stand-ins for the Android/AndroidX/org.json classes used
#     (scripts/mobile/stubs, one class per file); then a copy of the plugin with a planted type
#     error and one with a planted warning must both fail, so a green run means the compiler
#     really judged the sources;
#  4. the manifest injection through the real build script: `cargo check` with the variables the
#     Tauri CLI sets (TAURI_ANDROID_PROJECT_PATH, TAURI_TOKEN_VAULT_PLUGIN_CONFIG) against a fake
#     Android project: the redirect activity is written exactly once, a rerun leaves the file
#     byte-identical, a configuration without mobile redirect URIs writes nothing, and a block
#     from an earlier build loses its activity when the redirect URIs are gone.
# Installs what it needs (idempotent): Debian packages, the rustup target, the Kotlin compiler
# (npm tarball, pinned by version and sha512, unpacked under target/mobile/tools; no npm install,
# no package.json change, no install scripts run). Every output stays under target/mobile/ (its
# own cargo target directory, so the main target/ is never locked or invalidated); the work tree
# is left as found (checked at the end). `android/.tauri/` (tauri-plugin's copy of tauri's Android
# library, made by every Android build) is git-ignored.
# Usage: scripts/mobile/check-android.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

TARGET=aarch64-linux-android
KOTLIN_VERSION=2.4.20
# `npm view kotlin-compiler@2.4.20 dist.integrity`, checked against the downloaded tarball.
KOTLIN_INTEGRITY="sha512-IF5IVM7LpPhA/ntHQQpaVt1yxpaaQovtEVYLyqWMuaLr0XelLPPm7/sM6HLhtcRjjjoSsK7I7lP2kzYJkMy73w=="
export CARGO_TARGET_DIR=target/mobile
TOOLS=$CARGO_TARGET_DIR/tools
WORK=$CARGO_TARGET_DIR/kotlin
FAKE=$CARGO_TARGET_DIR/fake-android-project
started=$SECONDS
stage_start=$SECONDS
stage() {
  echo "   ($((SECONDS - stage_start)) s)"
  stage_start=$SECONDS
  echo "== $*"
}
fail() {
  echo "check-android: $*" >&2
  exit 1
}
tree_before=$(git status --porcelain)

echo "== set-up: Debian packages, rustup target, Kotlin compiler $KOTLIN_VERSION"
# clang + lld + llvm-ar + the arm64 glibc headers: ring's C for the Android target (no NDK);
# JDK 17 runs kotlinc and compiles the Java stand-ins; Jackson is what tauri's library uses.
PACKAGES=(clang lld llvm libc6-dev-arm64-cross openjdk-17-jdk-headless
  libjackson2-core-java libjackson2-databind-java libjackson2-annotations-java)
# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh
apt_ensure check-android "${PACKAGES[@]}"
command -v rustup >/dev/null 2>&1 || fail "rustup not found (needed to add the $TARGET target)"
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

KOTLINC=$TOOLS/kotlin-compiler-$KOTLIN_VERSION/bin/kotlinc
if [ ! -x "$KOTLINC" ]; then
  command -v npm >/dev/null 2>&1 || fail "npm not found (it fetches the Kotlin compiler)"
  mkdir -p "$TOOLS"
  tmp=$(mktemp -d "$TOOLS/.kotlin.XXXXXX")
  (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
  tgz="$tmp/kotlin-compiler-$KOTLIN_VERSION.tgz"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [ "$got" = "$KOTLIN_INTEGRITY" ] || fail "kotlin-compiler $KOTLIN_VERSION: integrity $got, expected $KOTLIN_INTEGRITY"
  mkdir "$tmp/unpacked"
  tar xzf "$tgz" -C "$tmp/unpacked" --strip-components=1
  rm -rf "$TOOLS/kotlin-compiler-$KOTLIN_VERSION"
  mv "$tmp/unpacked" "$TOOLS/kotlin-compiler-$KOTLIN_VERSION"
  rm -rf "$tmp"
fi
"$KOTLINC" -version 2>&1 | grep -q "kotlinc-jvm $KOTLIN_VERSION" || fail "$KOTLINC is not $KOTLIN_VERSION"

# ring's C with the host clang against the arm64 glibc headers: enough to type-check and lint
# (nothing is linked for Android here).
export CC_aarch64_linux_android=clang
export CFLAGS_aarch64_linux_android="--target=aarch64-linux-android24 --sysroot=/usr/aarch64-linux-gnu -isystem /usr/aarch64-linux-gnu/include"
export AR_aarch64_linux_android=llvm-ar
# The build script must not see a Tauri CLI environment left in the caller's shell.
unset TAURI_ANDROID_PROJECT_PATH TAURI_TOKEN_VAULT_PLUGIN_CONFIG
ANDROID_CARGO=(--lib --locked --target "$TARGET" --features tauri/wry)

stage "Rust ($TARGET): cargo check, clippy -D warnings (library)"
cargo check "${ANDROID_CARGO[@]}"
cargo clippy "${ANDROID_CARGO[@]}" -- -D warnings

stage "Rust ($TARGET): no loopback listener or desktop browser in the Android build"
android_tree() { cargo tree --locked --target "$TARGET" -e normal "$@"; }
direct=$(android_tree -p tauri-plugin-token-vault --depth 1 --prefix none)
if grep -E '^(hyper|hyper-util|http-body-util|webbrowser) ' <<<"$direct"; then
  fail "the crate depends directly on the desktop browser step for Android (above)"
fi
if android_tree --prefix none | grep -E '^webbrowser '; then fail "webbrowser is in the Android build"; fi
if android_tree -e features -i hyper | grep -F 'hyper feature "server"'; then
  fail "hyper's HTTP server (the loopback listener) is compiled for Android"
fi

stage "Kotlin: tauri's Android library and the stand-ins"
tauri_version=$(awk '/^name = "tauri"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$tauri_version" ] || fail "no tauri in Cargo.lock"
registry="${CARGO_HOME:-${HOME:-/root}/.cargo}/registry/src"
tauri_java=$(find "$registry" -mindepth 2 -maxdepth 2 -name "tauri-$tauri_version" -printf '%p/mobile/android/src/main/java\n' 2>/dev/null | head -n 1)
[ -d "$tauri_java" ] || fail "tauri $tauri_version's Android sources are not in $registry (cargo fetch)"
JACKSON=/usr/share/java/jackson-core.jar:/usr/share/java/jackson-databind.jar:/usr/share/java/jackson-annotations.jar
mapfile -t java_stubs < <(find scripts/mobile/stubs -name '*.java' | sort)
mapfile -t kotlin_stubs < <(find scripts/mobile/stubs -name '*.kt' | sort)
mapfile -t tauri_sources < <(find "$tauri_java" -name '*.kt' | sort)
mapfile -t plugin_sources < <(find android/src/main/java -name '*.kt' | sort)
[ "${#plugin_sources[@]}" -gt 0 ] || fail "no Kotlin sources under android/src/main/java"
# tauri's library and the stand-ins are compiled once per version of them (their warnings are
# not this crate's: tauri calls its own deprecated members); kotlinc takes ~30 s for them.
key=$({
  echo "$KOTLIN_VERSION tauri-$tauri_version"
  cat "${java_stubs[@]}" "${kotlin_stubs[@]}"
} | sha256sum | cut -c1-16)
LIB=$WORK/lib-$key
if [ ! -f "$LIB/done" ]; then
  rm -rf "$WORK"/lib-*
  mkdir -p "$LIB/stubs" "$LIB/tauri"
  javac -nowarn --release 8 -encoding UTF-8 -cp "$JACKSON" -d "$LIB/stubs" "${java_stubs[@]}"
  "$KOTLINC" -jvm-target 1.8 -nowarn -cp "$LIB/stubs:$JACKSON" -d "$LIB/tauri" \
    "${tauri_sources[@]}" "${kotlin_stubs[@]}"
  touch "$LIB/done"
fi
CLASSPATH_KT="$LIB/stubs:$LIB/tauri:$JACKSON"
kotlin_plugin() { # <output dir> <sources...>
  local out=$1
  shift
  rm -rf "$out"
  "$KOTLINC" -jvm-target 1.8 -Werror -cp "$CLASSPATH_KT" -d "$out" "$@"
}

stage "Kotlin: the plugin with -Werror (tauri $tauri_version, kotlinc $KOTLIN_VERSION)"
kotlin_plugin "$WORK/plugin" "${plugin_sources[@]}"
for class in TokenVaultPlugin AuthorizeArgs AuthorizationManagementActivity RedirectReceiverActivity; do
  [ -f "$WORK/plugin/io/github/tokenvault/$class.class" ] || fail "no $class.class from kotlinc"
done

stage "Kotlin: a planted type error and a planted warning must fail the check"
planted() { # <name> <line appended to TokenVaultPlugin.kt> <what the compiler must say>
  local dir=$WORK/planted-$1 log=$WORK/planted-$1.log
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r android/src/main/java "$dir/src"
  printf '\n%s\n' "$2" >>"$dir/src/io/github/tokenvault/TokenVaultPlugin.kt"
  local sources
  mapfile -t sources < <(find "$dir/src" -name '*.kt' | sort)
  if kotlin_plugin "$dir/out" "${sources[@]}" >"$log" 2>&1; then
    fail "kotlinc accepted the plugin with a planted $1 (see $log)"
  fi
  grep -q "TokenVaultPlugin.kt:.*$3" "$log" || { cat "$log" >&2; fail "the planted $1 failed for another reason"; }
  echo "   planted $1 rejected: $(grep -m1 "TokenVaultPlugin.kt:" "$log" | sed 's/^.*TokenVaultPlugin.kt/TokenVaultPlugin.kt/')"
}
planted type-error 'internal fun plantedTypeError(): Int = "not a number"' "error: .*mismatch"
# A deprecated Android call: proves -Werror and that the stand-ins carry the SDK's deprecations.
planted warning 'internal fun plantedWarning(a: Activity) = a.onBackPressed()' "warning: .*deprecated"

stage "Manifest injection through the real build script (fake Android project)"
mkdir -p "$FAKE/app/src/main"
manifest=$FAKE/app/src/main/AndroidManifest.xml
pristine=$FAKE/pristine.xml
# The shape of the Tauri CLI's generated app manifest: <application> with the main activity.
cat >"$pristine" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android">
    <uses-permission android:name="android.permission.INTERNET" />
    <application
        android:label="@string/app_name"
        android:usesCleartextTraffic="${usesCleartextTraffic}">
        <activity android:name=".MainActivity" android:exported="true" android:launchMode="singleTask">
            <intent-filter>
                <action android:name="android.intent.action.MAIN" />
                <category android:name="android.intent.category.LAUNCHER" />
            </intent-filter>
        </activity>
    </application>
</manifest>
XML
with_cli() { # <plugin config JSON>: a Tauri CLI build of the crate for Android
  TAURI_ANDROID_PROJECT_PATH="$PWD/$FAKE" TAURI_TOKEN_VAULT_PLUGIN_CONFIG="$1" \
    cargo check --quiet "${ANDROID_CARGO[@]}"
}
count() { grep -cF -- "$1" "$manifest" || true; }
expect_count() { # <text> <count>
  local n
  n=$(count "$1")
  [ "$n" = "$2" ] || { cat "$manifest" >&2; fail "expected $2 × '$1' in the manifest, found $n"; }
}
CONFIG='{"providers":{
  "a":{"issuer":"https://id.example.com","clientId":"c","mobile":{"redirectUri":"com.example.app:/oauth/callback"}},
  "b":{"issuer":"https://id.example.com","clientId":"c","mobile":{"redirectUri":"https://app.example.com/oauth/callback"}},
  "c":{"issuer":"https://id.example.com","clientId":"c","mobile":{"redirectUri":"com.example.app:/oauth/callback"}}}}'
# The same configuration written differently: a changed variable, so the build script reruns.
CONFIG_AGAIN=$(tr -d ' \n' <<<"$CONFIG")
MARKER="<!-- TOKEN VAULT PLUGIN. AUTO-GENERATED. DO NOT REMOVE. -->"

cp "$pristine" "$manifest"
with_cli "$CONFIG"
expect_count 'android:name="io.github.tokenvault.RedirectReceiverActivity"' 1
expect_count '<data android:scheme="com.example.app" />' 1
expect_count '<intent-filter android:autoVerify="true">' 1
expect_count 'android:host="app.example.com" android:path="/oauth/callback"' 1
expect_count "$MARKER" 2
# Inside <application>, after the main activity (tauri's writer inserts before </application>).
awk '/<\/activity>/ && !main { main = NR } /RedirectReceiverActivity/ { redirect = NR } /<\/application>/ { end = NR }
  END { exit !(main < redirect && redirect < end) }' "$manifest" || fail "the block is not inside <application>"
cp "$manifest" "$FAKE/first.xml"
with_cli "$CONFIG_AGAIN"
cmp -s "$FAKE/first.xml" "$manifest" || { diff "$FAKE/first.xml" "$manifest" >&2; fail "a rerun changed the manifest"; }
echo "   written once; rerun byte-identical"

cp "$pristine" "$manifest"
with_cli '{"providers":{"p":{"issuer":"https://id.example.com","clientId":"c"}}}'
cmp -s "$pristine" "$manifest" || { diff "$pristine" "$manifest" >&2; fail "a configuration without mobile redirect URIs changed the manifest"; }
echo "   no mobile redirect URI: manifest untouched"

cp "$FAKE/first.xml" "$manifest"
with_cli '{"providers":{}}'
expect_count 'RedirectReceiverActivity' 0
expect_count "$MARKER" 2
echo "   redirect URIs removed: the earlier block lost its activity"

stage "work tree"
# Back to a build without the CLI's variables, as the next plain `cargo check` would see it.
tree_after=$(git status --porcelain)
if [ "$tree_before" != "$tree_after" ]; then
  diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
  fail "the check changed the work tree"
fi
echo "   unchanged"
echo "check-android: all green in $((SECONDS - started)) s"

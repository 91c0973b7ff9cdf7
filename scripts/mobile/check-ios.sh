#!/usr/bin/env bash
# iOS, as far as this Linux machine allows (no Swift toolchain, no Apple SDK, no device):
#  - the Swift sources (ios/**/*.swift) are well-formed Swift: tree-sitter's Swift grammar parses
#    each one without an ERROR or MISSING node (scripts/mobile/parse-swift.py); two broken copies
#    (a closing brace taken away, a stray declaration added) must fail the same check, so a parser
#    that accepts anything cannot pass it;
#  - `cargo check` and `cargo clippy -D warnings` of the library for aarch64-apple-ios with tauri's
#    `wry` feature (`register_ios_plugin` exists only with it), ring's C compiled by Debian's clang
#    against the stand-in SDK headers of scripts/cross/include;
#  - the desktop sign-in step is not built for iOS: no direct dependency on hyper, hyper-util,
#    http-body-util or webbrowser, webbrowser nowhere in the tree, and hyper (reqwest's client)
#    without its `server` feature; the same query for the host must find them, so the check is
#    not vacuous.
# Nothing here compiles or runs Swift, links against UIKit or runs on iOS.
# Installs what it needs (idempotent): Debian clang, llvm and python3-venv, the rustup target, and a
# virtualenv with pinned tree-sitter wheels from PyPI in target/mobile/tools. Every output stays under
# target/mobile/ (its own cargo target directory); the broken copies live in a temporary directory.
# Usage: scripts/mobile/check-ios.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

IOS=aarch64-apple-ios
FEATURES=tauri/wry
export CARGO_TARGET_DIR=target/mobile
TOOLS=$CARGO_TARGET_DIR/tools
VENV=$TOOLS/venv
# Pinned: a newer grammar could start accepting (or rejecting) different code.
PY_PACKAGES=(tree-sitter==0.26.1 tree-sitter-swift==0.7.4)

# shellcheck source=../lib/apt.sh
. scripts/lib/apt.sh
# clang + llvm-ar: ring's C for iOS; Debian's python3 with venv: the parser's virtualenv.
apt_ensure check-ios clang llvm python3 python3-venv

if ! command -v rustup >/dev/null 2>&1; then
  echo "check-ios: rustup not found (needed to add the $IOS target)" >&2
  exit 1
fi
rustup target list --installed | grep -qx "$IOS" || rustup target add "$IOS"

echo "== iOS Swift sources: tree-sitter parse (no ERROR / MISSING node)"
# Debian's interpreter, not whichever python3 comes first on PATH (pyenv and the like).
if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null ||
  [ "$(cat "$VENV/.pins" 2>/dev/null)" != "${PY_PACKAGES[*]}" ]; then
  rm -rf "$VENV"
  mkdir -p "$TOOLS"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" >"$VENV/.pins"
fi
parse() { "$VENV/bin/python" scripts/mobile/parse-swift.py "$@"; }

mapfile -t swift < <(git ls-files --cached --others --exclude-standard -- 'ios/*.swift' | sort)
if [ "${#swift[@]}" -eq 0 ]; then
  echo "check-ios: no Swift sources under ios/" >&2
  exit 1
fi
parse "${swift[@]}"

# The check must bite: a missing closing brace and a stray declaration both fail it.
planted=$(mktemp -d "${TMPDIR:-/tmp}/token-vault-swift.XXXXXX")
trap 'rm -rf "$planted"' EXIT
main=ios/Sources/TokenVaultPlugin.swift
last_brace=$(grep -n '^}' "$main" | tail -n 1 | cut -d: -f1)
sed "${last_brace}d" "$main" >"$planted/missing-brace.swift"
{ cat "$main"; echo 'func broken( {'; } >"$planted/stray-declaration.swift"
for broken in "$planted"/*.swift; do
  if parse "$broken" >/dev/null 2>&1; then
    echo "check-ios: the parse check accepted a broken copy ($(basename "$broken"))" >&2
    exit 1
  fi
done
echo "parse-swift: both planted syntax errors were caught"

echo "== iOS ($IOS): cargo check, clippy -D warnings (library, --features $FEATURES)"
(
  # shellcheck source=../cross/apple-cc-env.sh
  . scripts/cross/apple-cc-env.sh
  apple_cc_env "$IOS" arm64-apple-ios14 "$CARGO_TARGET_DIR/empty-sdk"
  cargo check --lib --locked --target "$IOS" --features "$FEATURES"
  cargo clippy --lib --locked --target "$IOS" --features "$FEATURES" -- -D warnings
)

echo "== iOS ($IOS): no loopback listener, no system browser in the dependency tree"
desktop_only='^(hyper|hyper-util|http-body-util|webbrowser) '
# `deps TARGET ARGS…`: one crate per line, without the tree drawing. Captured whole before any
# grep: `grep -q` closing the pipe early would fail cargo under pipefail.
deps() {
  local target=$1
  shift
  cargo tree --locked --target "$target" --features "$FEATURES" --prefix none "$@"
}
host=$(rustc -vV | sed -n 's/^host: //p')
host_direct=$(deps "$host" -e normal --depth 1)
host_all=$(deps "$host" -e normal)
if ! grep -Eq "$desktop_only" <<<"$host_direct" || ! grep -q '^webbrowser ' <<<"$host_all"; then
  echo "check-ios: the host's tree lacks the desktop crates: this check would prove nothing" >&2
  exit 1
fi
ios_direct=$(deps "$IOS" -e normal --depth 1)
ios_all=$(deps "$IOS" -e normal)
# `-i hyper` fails when hyper is not in the tree at all, which passes this check too.
ios_hyper=$(deps "$IOS" -e features -i hyper 2>/dev/null || true)
if grep -Eq "$desktop_only" <<<"$ios_direct"; then
  echo "check-ios: the iOS build depends directly on desktop-only crates:" >&2
  grep -E "$desktop_only" <<<"$ios_direct" >&2
  exit 1
fi
if grep -q '^webbrowser ' <<<"$ios_all"; then
  echo "check-ios: webbrowser is in the iOS dependency tree" >&2
  exit 1
fi
if grep -q 'hyper feature "server"' <<<"$ios_hyper"; then
  echo "check-ios: hyper's server feature is enabled for iOS" >&2
  exit 1
fi
echo "check-ios: hyper (server), hyper-util, http-body-util and webbrowser are not built for iOS"

# Sourced, not run: cross-checking an Apple target on Linux without Apple's SDK. The only C code
# in the dependency tree is ring's; Debian's clang compiles it for an Apple target with the few
# stand-in SDK headers in scripts/cross/include. Used by scripts/check-desktop-platforms.sh (macOS);
# meant for the iOS check too (e.g. `apple_cc_env aarch64-apple-ios arm64-apple-ios14 DIR`).
# Needs Debian's clang and llvm (llvm-ar). Call it in a subshell: it exports variables.
#
# Usage: apple_cc_env <rust target> <clang target> <empty directory for SDKROOT>
apple_cc_env() {
  local rust_target=$1 clang_target=$2 sdk=$3 include var
  include="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/include"
  var=${rust_target//-/_}
  # cc-rs asks `xcrun` for the SDK path unless SDKROOT is set; nothing is read from it.
  mkdir -p "$sdk"
  export SDKROOT
  SDKROOT="$(cd "$sdk" && pwd)"
  # cc-rs splits CFLAGS on whitespace: the checkout's path must not contain any.
  export "CC_${var}=clang" "AR_${var}=llvm-ar"
  export "CFLAGS_${var}=--target=${clang_target} -isystem ${include}"
}

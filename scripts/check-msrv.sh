#!/usr/bin/env bash
# The minimum supported Rust version (MSRV) check.
#
# 1. Reads the declared `rust-version` of tauri-plugin-token-vault (Cargo.toml); README.md's
#    "Minimum supported Rust version: X" must say the same.
# 2. Computes the dependency floor: the highest `rust_version` among the packages the library
#    depends on (normal and build dependencies, transitively, for every target platform, with
#    features as cargo resolves them for the library alone; a package's edition counts too:
#    2021 needs 1.56, 2024 needs 1.85). The package set comes from `cargo tree`, the
#    `rust_version` and `edition` fields from `cargo metadata`. Computed twice:
#    - with the committed Cargo.lock (what the tests and the example app build): for information;
#    - with the lock file re-resolved by cargo's MSRV-aware resolver for the declared version
#      (`resolver.incompatible-rust-versions = "fallback"`: the newest versions that still
#      support it), which is what a user on that toolchain gets. Fails if the declared version is
#      lower than this floor, naming the packages that set it.
# 3. Builds the library with the declared toolchain: `cargo +<msrv> check --lib --locked` on
#    that MSRV-aware lock file, with its own target dir (target/msrv/target). A missing
#    toolchain is installed with rustup first; if that fails, this says so and that the check
#    was limited to the dependency floor (the library's own code was not compiled with it).
#
# Everything runs in a fresh copy of the workspace in target/msrv/ws: the working tree and its
# Cargo.lock are never modified.
#
# Usage: scripts/check-msrv.sh [--lowest] [--no-build] [--head]
#   --lowest    also find the lowest rust-version the dependencies allow (MSRV-aware resolution
#               for lower and lower versions); the library's own code may need a newer one.
#   --no-build  skip step 3.
#   --head      check the last commit (git archive HEAD) instead of the working tree.
# Environment: MSRV_INSTALL=0 never runs `rustup toolchain install`;
#              MSRV_INSTALL_TIMEOUT (seconds, default 300) bounds that install.
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup installs cargo in ~/.cargo/bin, which a non-interactive shell may not have on PATH.
if [ -d "${HOME:-/root}/.cargo/bin" ]; then export PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi

lowest=0 build=1 head=0
for arg in "$@"; do
  case "$arg" in
    --lowest) lowest=1 ;;
    --no-build) build=0 ;;
    --head) head=1 ;;
    *) echo "usage: scripts/check-msrv.sh [--lowest] [--no-build] [--head]" >&2; exit 2 ;;
  esac
done

root="$PWD"
ws="$root/target/msrv/ws"
target_dir="$root/target/msrv/target"

# Python helpers. `floor`: prints shell assignments FLOOR, SETBY, COUNT for the workspace in
# the current directory. `cmp A B`: prints lt, eq or gt. `set-rust-version V`: rewrites the
# rust-version of the [package] in ./Cargo.toml.
PY='
import json, re, shlex, subprocess, sys

ROOT = "tauri-plugin-token-vault"
EDITION_MIN = {"2015": "1.0", "2018": "1.31", "2021": "1.56", "2024": "1.85"}

def ver(s):
    parts = [int(p) for p in s.split("-")[0].split(".")]
    return tuple((parts + [0, 0, 0])[:3])

def show(v):
    return "%d.%d" % v[:2] + (".%d" % v[2] if v[2] else "")

def cargo(*args):
    return subprocess.run(["cargo", *args], check=True, stdout=subprocess.PIPE, text=True).stdout

def floor():
    meta = json.loads(cargo("metadata", "--quiet", "--format-version", "1"))
    by_name_version = {}
    for p in meta["packages"]:
        by_name_version.setdefault((p["name"], p["version"]), []).append(p)
    root = next(p["id"] for p in meta["packages"] if p["name"] == ROOT)
    version_of = {p["id"]: p["name"] + " " + p["version"] for p in meta["packages"]}
    direct = {version_of[d["pkg"]]
              for n in meta["resolve"]["nodes"] if n["id"] == root
              for d in n["deps"] if any(k["kind"] != "dev" for k in d["dep_kinds"])}
    tree = cargo("tree", "--quiet", "-p", ROOT, "-e", "normal,build", "--target", "all",
                 "--prefix", "none", "--format", "{p}")
    needs = {}  # "name version" -> (required version, why)
    for line in tree.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] == ROOT:
            continue
        name, version = fields[0], fields[1].lstrip("v")
        for p in by_name_version[(name, version)]:
            candidates = [(ver(EDITION_MIN.get(p["edition"], "1.0")), "edition " + p["edition"])]
            if p.get("rust_version"):
                candidates.append((ver(p["rust_version"]), "rust-version " + p["rust_version"]))
            req = max(candidates)
            key = name + " " + version
            needs[key] = max(needs.get(key, req), req)
    top = max(req for req, _ in needs.values())
    # Direct dependencies first: they are the ones Cargo.toml can pin or replace.
    setby = sorted((k not in direct, k, why)
                   for k, (req, why) in needs.items() if req == top)
    setby = ["%s (%s%s)" % (k, "" if indirect else "direct dependency, ", why)
             for indirect, k, why in setby]
    if len(setby) > 8:
        setby = setby[:8] + ["and %d more" % (len(setby) - 8)]
    print("FLOOR=" + shlex.quote(show(top)))
    print("SETBY=" + shlex.quote(", ".join(setby)))
    print("COUNT=%d" % len(needs))

def cmp(a, b):
    print("lt" if ver(a) < ver(b) else "gt" if ver(a) > ver(b) else "eq")

def set_rust_version(v):
    text = open("Cargo.toml").read()
    pkg = re.search(r"(?ms)^\[package\]\n.*?(?=^\[)", text)
    new, n = re.subn(r"(?m)^rust-version\s*=\s*\"[^\"]*\"", "rust-version = \"%s\"" % v, pkg.group(0))
    if n != 1:
        sys.exit("Cargo.toml: no rust-version = \"...\" line in [package]")
    open("Cargo.toml", "w").write(text[:pkg.start()] + new + text[pkg.end():])

cmd = sys.argv[1]
if cmd == "floor": floor()
elif cmd == "cmp": cmp(sys.argv[2], sys.argv[3])
elif cmd == "set-rust-version": set_rust_version(sys.argv[2])
'
py() { python3 -c "$PY" "$@"; }

# Re-resolves ./Cargo.lock for the rust-version in ./Cargo.toml, the newest versions that support
# it (cargo's MSRV-aware resolver); prints the downgrades it made because of rust-version.
msrv_resolve() {
  local log
  log="$(cargo update --config 'resolver.incompatible-rust-versions="fallback"' 2>&1)" || {
    echo "$log" >&2
    return 1
  }
  grep 'requires Rust' <<<"$log" | sed 's/^ */    /' || true
}

# A fresh copy of the workspace (sources included: the build step compiles them).
rm -rf "$ws"
mkdir -p "$ws"
if [ "$head" = 1 ]; then
  echo "checking the last commit, $(git log -1 --format='%h %s' | cut -c1-70)"
  git archive HEAD | tar -x -C "$ws"
else
  tar -c --exclude=./target --exclude=./.git --exclude=node_modules \
    --exclude=./examples/app/src-tauri/target --exclude=./examples/app/src-tauri/gen . |
    tar -x -C "$ws"
fi
cd "$ws"

declared="$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
print(next(p["rust_version"] or "" for p in json.load(sys.stdin)["packages"]
           if p["name"] == "tauri-plugin-token-vault"))')"
if [ -z "$declared" ]; then
  echo "FAIL: Cargo.toml declares no rust-version" >&2
  exit 1
fi
echo "declared rust-version (Cargo.toml): $declared"
readme="$(sed -n 's/^Minimum supported Rust version: \([0-9][0-9.]*[0-9]\).*/\1/p' README.md)"
if [ "$readme" != "$declared" ]; then
  echo "FAIL: README.md says \"Minimum supported Rust version: ${readme:-(missing)}\"," \
    "Cargo.toml says rust-version $declared" >&2
  exit 1
fi

assignments="$(py floor)"
eval "$assignments"
echo "dependency floor with the committed Cargo.lock: $FLOOR, set by: $SETBY"
echo "  ($COUNT packages: normal and build dependencies of the library, every target)"
committed_floor="$FLOOR"

echo "re-resolving Cargo.lock for Rust $declared (MSRV-aware resolver, in target/msrv/ws):"
msrv_resolve
assignments="$(py floor)"
eval "$assignments"
echo "dependency floor with the MSRV-aware lock file: $FLOOR, set by: $SETBY"
echo "  ($COUNT packages)"

if [ "$(py cmp "$declared" "$FLOOR")" = lt ]; then
  echo "FAIL: Cargo.toml declares rust-version $declared, but the dependencies need Rust $FLOOR" \
    "($SETBY). Raise rust-version to $FLOOR, or require older versions of those packages." >&2
  exit 1
fi
if [ "$(py cmp "$declared" "$committed_floor")" = lt ]; then
  echo "note: the committed Cargo.lock needs Rust $committed_floor; on Rust $declared cargo picks" \
    "the older versions listed above, and the build below uses them."
fi
echo "OK: rust-version $declared is not below the dependency floor $FLOOR"

if [ "$lowest" = 1 ]; then
  # Lower the candidate until the dependencies no longer resolve to versions that support it.
  best="$FLOOR" best_setby="$SETBY"
  while :; do
    candidate="$(python3 -c 'import sys; v = sys.argv[1].split("."); print(v[0] + "." + str(int(v[1]) - 1))' "$best")"
    py set-rust-version "$candidate"
    msrv_resolve >/dev/null
    assignments="$(py floor)"
    eval "$assignments"
    echo "  resolved for Rust $candidate: floor $FLOOR"
    if [ "$(py cmp "$FLOOR" "$candidate")" = gt ]; then break; fi
    best="$FLOOR" best_setby="$SETBY"
  done
  echo "lowest rust-version the dependencies allow: $best, set by: $best_setby" \
    "(the library's own code may need more)"
  # Back to the declared version for the build step.
  py set-rust-version "$declared"
  msrv_resolve >/dev/null
fi

[ "$build" = 1 ] || exit 0

installed() { grep -q "^$(sed 's/\./\\./g' <<<"$1")-" <<<"$(rustup toolchain list)"; }
if ! installed "$declared" && [ "${MSRV_INSTALL:-1}" != 0 ]; then
  timeout_s="${MSRV_INSTALL_TIMEOUT:-300}"
  echo "== rustup toolchain install $declared --profile minimal (timeout ${timeout_s}s)"
  timeout "$timeout_s" rustup toolchain install "$declared" --profile minimal ||
    echo "rustup toolchain install $declared failed (exit $?)"
fi
if ! installed "$declared"; then
  if [ "${MSRV_INSTALL:-1}" = 0 ]; then why="is not installed (MSRV_INSTALL=0: not installing it)"
  else why="is not installed and could not be installed on this machine"; fi
  echo "NOT BUILT: Rust $declared $why, so the check is limited to the dependency floor above:" \
    "the library's own code was not compiled with Rust $declared."
  exit 0
fi

echo "== cargo +$declared check --lib --locked (MSRV-aware Cargo.lock in target/msrv/ws," \
  "target dir target/msrv/target)"
CARGO_TARGET_DIR="$target_dir" cargo "+$declared" check --lib --locked
echo "OK: the library builds with Rust $declared"

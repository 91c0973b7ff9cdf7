# Sourced by the set-up scripts: `apt_ensure <who> <package>…` installs the Debian packages not
# installed yet (idempotent; sudo when not root). `apt-get update` can fail on a busy lists
# lock, so it is retried; the install waits up to 5 minutes for the dpkg lock.
apt_ensure() {
  local who=$1
  shift
  local sudo="" missing=() p i
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  echo "$who: installing ${missing[*]}"
  for i in 1 2 3; do
    $sudo apt-get update -q >/dev/null && break
    sleep 5
  done
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

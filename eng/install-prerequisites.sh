#!/usr/bin/env bash
# Installs what TorchSharp 0.107's native library needs on Linux and does nothing where it is already there.
#
# libLibTorchSharp.so needs GLIBCXX_3.4.32 (the libstdc++ of GCC 13). Debian 12 and Ubuntu 22.04 ship an older one, so
# the first TorchSharp call fails with DllNotFoundException. On Debian 12 this script installs Debian 13 (trixie)'s
# libstdc++6 from a trixie source pinned at low priority, so nothing else on the machine is upgraded.
# Usage: sudo eng/install-prerequisites.sh   (idempotent; safe to run on every CI job)
set -euo pipefail

required=GLIBCXX_3.4.32

find_libstdcxx() {
  local candidates=(/usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6
                    /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6)
  for f in "${candidates[@]}"; do [[ -e $f ]] && { echo "$f"; return; }; done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'
}

has_required_symbol() {
  local lib; lib=$(find_libstdcxx)
  [[ -n $lib ]] && grep -qa "$required" "$lib"
}

if [[ $(uname -s) != Linux ]]; then
  echo "install-prerequisites: nothing to do on $(uname -s)."
  exit 0
fi

if has_required_symbol; then
  echo "install-prerequisites: libstdc++ already provides $required; nothing to do."
  exit 0
fi

. /etc/os-release
if [[ ${ID:-} != debian || ${VERSION_ID:-} != 12 ]]; then
  cat >&2 <<MSG
install-prerequisites: this system's libstdc++ lacks $required, which TorchSharp 0.107 needs.
Automatic installation is only implemented for Debian 12. On Ubuntu 22.04 install a newer libstdc++6, e.g.:
  sudo add-apt-repository ppa:ubuntu-toolchain-r/test && sudo apt-get install libstdc++6
or move to an OS with GCC 13's runtime (Ubuntu 24.04, Debian 13, Fedora 39+).
MSG
  exit 1
fi

if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null; then exec sudo -E bash "$0" "$@"; fi
  echo "install-prerequisites: must run as root (or with sudo) to install libstdc++6 from Debian 13." >&2
  exit 1
fi

echo "install-prerequisites: installing Debian 13's libstdc++6 (for $required) from a low-priority trixie source..."
cat > /etc/apt/sources.list.d/nfnet-trixie.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# Priority 100: trixie packages are never chosen unless asked for with -t trixie.
cat > /etc/apt/preferences.d/nfnet-trixie.pref <<PREF
Package: *
Pin: release n=trixie
Pin-Priority: 100
PREF

export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o Acquire::Retries=3
apt-get install -y -q -o Acquire::Retries=3 -t trixie libstdc++6

if has_required_symbol; then
  echo "install-prerequisites: done; libstdc++ now provides $required."
else
  echo "install-prerequisites: installation finished but $required is still missing from $(find_libstdcxx)." >&2
  exit 1
fi

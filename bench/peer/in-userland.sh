#!/usr/bin/env bash
# Runs one command inside the peer userland that make-userland.sh builds. /proc, /sys and this folder (as
# /opt/nfnet-peer, so the userland always runs the repository's current scripts) are bound in a private mount namespace:
# they vanish with the command, and two runs at once cannot unmount each other's. Needs root (unshare, chroot).
#   bench/peer/in-userland.sh ROOT command [args...]
set -euo pipefail
(( $# >= 2 )) || { echo "usage: in-userland.sh ROOT command [args...]" >&2; exit 2; }
R=$1; shift
HERE=$(cd "$(dirname "$0")" && pwd)
[[ -x $R/usr/bin/env ]] || { echo "in-userland: no userland at $R (bench/peer/make-userland.sh builds one)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "in-userland: needs root (unshare --mount, chroot)" >&2; exit 2; }
mkdir -p "$R/opt/nfnet-peer"
exec unshare --mount --propagation private /bin/bash -c '
  R=$1 HERE=$2; shift 2
  mount --bind /proc "$R/proc" && mount --bind /sys "$R/sys" && mount --bind "$HERE" "$R/opt/nfnet-peer" || exit 2
  exec chroot "$R" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin PYTHONPATH=/opt/timm LANG=C.UTF-8 "$@"
' in-userland "$R" "$HERE" "$@"

#!/usr/bin/env bash
# Builds, once, the userland the peers run in: Debian 13 (trixie) from debootstrap with Debian's own PyTorch 2.6,
# torchvision, ONNX, ONNX Runtime, numpy, Pillow, PyYAML and safetensors, plus timm at /opt/timm. This machine's own
# system is left untouched. Needs root; the first build takes a few minutes and the Debian registry. Later calls check
# the userland and return at once. Prints the userland's path on its last line.
#
#   ANCHOR_ROOT   where it lives (default /var/tmp/nfnet-anchor-trixie); an existing one that imports everything is reused
#   TIMM_SOURCE   a timm wheel (.whl) or source tarball (.tar.gz, an sdist or a GitHub archive) to install; without it,
#                 timm==TIMM_VERSION comes from PyPI (pip inside the userland), unless the userland already has a timm
#   TIMM_VERSION  default 1.0.29 (the release nearest the timm the published figures used, 1.0.29.dev0 at aa4b585)
#   DEBIAN_MIRROR default http://deb.debian.org/debian
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
R=${ANCHOR_ROOT:-/var/tmp/nfnet-anchor-trixie}
TIMM_VERSION=${TIMM_VERSION:-1.0.29}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=ca-certificates,python3,python3-torch,python3-torchvision,python3-numpy,python3-onnx,python3-onnxruntime,python3-yaml,python3-safetensors,python3-pil,procps
fail() { echo "make-userland: $*" >&2; exit 1; }
in_root() { "$HERE/in-userland.sh" "$R" "$@"; }
imports() { [[ -x $R/usr/bin/python3 ]] && in_root python3 -c "import $1" >/dev/null 2>&1; }

build_base() {
  echo "make-userland: building Debian 13 at $R (log: $R.log)" >&2
  command -v debootstrap >/dev/null || { apt-get update -q >/dev/null; apt-get install -y -q debootstrap >/dev/null; }
  rm -rf --one-file-system "$R"; mkdir -p "$R"
  # debootstrap may stop at configuring onnxruntime (a virtual dependency it does not resolve): apt-get -f finishes it.
  debootstrap --variant=minbase --include="$PACKAGES" trixie "$R" "$MIRROR" >"$R.log" 2>&1 ||
    echo "make-userland: debootstrap reported an error; mending with apt-get -f" >&2
  [[ -x $R/usr/bin/python3 ]] || fail "debootstrap did not install python3; see $R.log"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  # Extra certificate authorities of this machine (a proxy in front of the registries may need them).
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$R/usr/local/share/ca-certificates"; cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
  fi
  echo "deb $MIRROR trixie main" >"$R/etc/apt/sources.list"
  in_root /bin/bash -c 'update-ca-certificates >/dev/null 2>&1; apt-get update -q >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q >/dev/null' >>"$R.log" 2>&1 || fail "apt-get -f failed; see $R.log"
}

# Unpacks TIMM_SOURCE into a staging folder of the userland, then swaps it in as /opt/timm (the package at /opt/timm/timm).
install_timm_from_file() {
  local src stage package
  src=$(realpath "$TIMM_SOURCE") || fail "TIMM_SOURCE=$TIMM_SOURCE does not exist"
  if [[ $(cat "$R/opt/timm/.from" 2>/dev/null) == "$(basename "$src")" ]]; then return 0; fi
  stage=$(mktemp -d "$R/opt/.timm.XXXXXX")
  case $src in
    *.whl) cp "$src" "$stage/timm.whl"; in_root python3 -m zipfile -e "/opt/$(basename "$stage")/timm.whl" "/opt/$(basename "$stage")/unpacked"
           rm "$stage/timm.whl" ;;
    *.tar.gz | *.tgz) mkdir "$stage/unpacked"; tar -xzf "$src" -C "$stage/unpacked" ;;
    *) rm -rf "$stage"; fail "TIMM_SOURCE must be a .whl or a .tar.gz: $src" ;;
  esac
  package=$(find "$stage/unpacked" -maxdepth 3 -path '*/timm/__init__.py' -print -quit)
  [[ -n $package ]] || { rm -rf "$stage"; fail "no timm/__init__.py inside $src"; }
  rm -rf "$R/opt/timm"; mv "$(dirname "$(dirname "$package")")" "$R/opt/timm"; rm -rf "$stage"
  basename "$src" >"$R/opt/timm/.from"
}

install_timm_from_pypi() {
  echo "make-userland: installing timm==$TIMM_VERSION from PyPI" >&2
  in_root /bin/bash -c 'command -v pip3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pip >/dev/null' ||
    fail "could not install python3-pip in the userland"
  # --no-deps: torch, torchvision, PyYAML and safetensors are Debian's; huggingface_hub is optional to timm.
  rm -rf "$R/opt/timm.new"
  in_root python3 -m pip install -q --no-deps --no-compile --target /opt/timm.new "timm==$TIMM_VERSION" ||
    fail "pip could not fetch timm==$TIMM_VERSION (no PyPI here? give TIMM_SOURCE=path/to/timm.whl or .tar.gz)"
  rm -rf "$R/opt/timm"; mv "$R/opt/timm.new" "$R/opt/timm"; echo "timm==$TIMM_VERSION" >"$R/opt/timm/.from"
}

[[ $(id -u) == 0 ]] || fail "needs root (debootstrap, chroot)"
if ! imports "torch, torchvision, onnx, onnxruntime, numpy, PIL, yaml, safetensors, timm"; then
  imports "torch, torchvision, onnx, onnxruntime, numpy, PIL, yaml, safetensors" || build_base
  [[ -n ${TIMM_SOURCE:-} ]] || imports timm || install_timm_from_pypi
fi
[[ -z ${TIMM_SOURCE:-} ]] || install_timm_from_file
in_root python3 -c "import torch, timm, onnxruntime; print(f'make-userland: torch {torch.__version__}, timm {timm.__version__}, onnxruntime {onnxruntime.__version__}')" >&2 ||
  fail "the userland at $R cannot import torch, timm and onnxruntime"
echo "$R"

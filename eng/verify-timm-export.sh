#!/bin/bash
# Checks ExportTimm against real timm: exports nfnet_tiny (trained through the ML.NET trainer), two small custom
# configurations (timm's light layout and DeepMind's), and eca_nfnet_l0- and dm_nfnet_f0-shaped networks, then loads
# each folder in timm (eng/verify-timm-export.py) and compares logits, features and preprocessing.
# Needs root (chroot): it runs timm in the peers' Debian 13 userland, which bench/peer/make-userland.sh builds on first
# use (ANCHOR_ROOT, TIMM_SOURCE: see bench/peer/README.md). Usage: eng/verify-timm-export.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(bench/peer/make-userland.sh | tail -n 1)
WORK=$ROOT/tmp/nfnet-timm-export
rm -rf "$WORK" && mkdir -p "$WORK"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
dotnet run -c Release --project bench/Microsoft.ML.NFNet.Benchmarks -- timm-export "$WORK/exports"
cp eng/verify-timm-export.py "$WORK/"
bench/peer/in-userland.sh "$ROOT" python3 /tmp/nfnet-timm-export/verify-timm-export.py /tmp/nfnet-timm-export/exports

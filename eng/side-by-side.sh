#!/usr/bin/env bash
# Every figure of issue 11's target table in one run, side by side with timm (PyTorch), timm under bf16 autocast and
# ONNX Runtime (the peer harness in bench/peer), plus the figures only we have (ML.NET Transform vs batches, first
# prediction, bf16 agreement). Run it on a quiet machine: absolute times drift between runs; the same-round ratios
# are what count.
#
#   eng/side-by-side.sh                      # everything, 3 rounds (about 20 minutes on a quiet 2-core machine)
#   ROUNDS=1 FIGURES=F0:infer:1:256 eng/side-by-side.sh anchor   # one figure while iterating
#
# Parts (arguments; default all): anchor (ours fp32 + ours bf16 vs timm, timm bf16, ORT), ort (our ONNX Runtime engine
# vs the same peers, inference only), ours (transform, first prediction, bf16 agreement).
# Environment: ROUNDS (3), FIGURES (side_by_side.py's default: all six), ANCHOR_ROOT (the peers' userland, see
# bench/peer/README.md), TIMM_SOURCE (a timm wheel or tarball when PyPI is out of reach),
# OUT (side-by-side-results), OURS_ENV (extra environment for our processes only, e.g. "OMP_WAIT_POLICY=PASSIVE";
# empty by default so both sides run with their libraries' defaults).
# Needs root (chroot); the first run builds the peers' Debian 13 userland (bench/peer/make-userland.sh, a few minutes,
# the Debian registry, and PyPI for timm unless TIMM_SOURCE is given).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_DIR=$ROOT/bench/peer
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$ROOT/side-by-side-results}
OURS_ENV=${OURS_ENV:-}
PARTS=${*:-anchor ort ours}
mkdir -p "$OUT"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

dotnet build "$ROOT/bench/Microsoft.ML.NFNet.Benchmarks" -c Release -nologo -v q
APP="dotnet $ROOT/bench/Microsoft.ML.NFNet.Benchmarks/bin/Release/net10.0/Microsoft.ML.NFNet.Benchmarks.dll"
SAMPLE="dotnet $ROOT/src/Microsoft.ML.NFNet.Samples/bin/Release/net10.0/nfnet-samples.dll"
# side_by_side.py fills {variant} (F0 | eca_nfnet_l0), {mode} (infer | train), {batch}, {size}, {runs} (10 | 4) and
# {warmup} (3 | 2); our speed command follows peer_timing.py's protocol (seed 0 input, 2 intra-op + 1 inter-op threads,
# reset-then-step training) and prints RESULT {json}.
OURS="${OURS_ENV:+env $OURS_ENV }$APP speed --variant {variant} --mode {mode} --batch {batch} --size {size} --runs {runs} --warmup {warmup} --threads 2 --result-line --output $OUT/bench"
FIGURE_ARGS=()
[ -n "${FIGURES:-}" ] && FIGURE_ARGS=(--figures "$FIGURES")

{ echo "# side-by-side $(date -u +%FT%TZ) on $(hostname)"; uptime; grep -m1 'model name' /proc/cpuinfo; nproc;
  dotnet --version; git -C "$ROOT" log -1 --format='commit %h %s'; } | tee "$OUT/machine.txt"

status=0
if [[ " $PARTS " == *" anchor "* ]]; then
  # Targets (issue 11): batch 1 fp32 <= 1.0 x ORT; batch 8 fp32 <= 0.8 x timm; bf16 <= 0.9 x timm bf16;
  # training fp32 <= 0.9 x timm, bf16 <= 0.6 x timm.
  LIMITS=""
  for v in F0 eca_nfnet_l0; do
    LIMITS+="$v:infer:1:256@ours/ort=1.0,$v:infer:8:192@ours/timm=0.8,"
    LIMITS+="$v:infer:1:256@ours_bf16/bf16=0.9,$v:infer:8:192@ours_bf16/bf16=0.9,"
    LIMITS+="$v:train:8:192@ours/timm=0.9,$v:train:8:192@ours_bf16/timm=0.6,"
  done
  python3 "$PEER_DIR/side_by_side.py" --rounds "$ROUNDS" "${FIGURE_ARGS[@]}" --ours "$OURS" \
    --ours-bf16 "$OURS --precision bf16" --limits "${LIMITS%,}" | tee "$OUT/anchor.md" || status=1
  # Peak RSS of F0 training at batch 8 @192: ours (fp32) vs timm's, from the table's JSON line (processes' own peaks).
  python3 - "$OUT/anchor.md" <<'PY' | tee "$OUT/peak-rss.txt" || status=1
import json, sys
summary = next(json.loads(l) for l in open(sys.argv[1]) if l.startswith('{'))
row = summary.get('F0:train:8:192')
if row is None:
    print('peak RSS: F0:train:8:192 was not measured'); sys.exit(0)
rss = row['peak_rss_mib']
print(f"peak RSS F0 train b8@192: ours {rss.get('ours')} MiB, ours bf16 {rss.get('ours_bf16')} MiB, timm {rss.get('timm')} MiB"
      f" (target ours <= timm: {'ok' if rss.get('ours', 1e9) <= rss.get('timm', 0) else 'NO'})")
sys.exit(0 if rss.get('ours', 1e9) <= rss.get('timm', 0) else 1)
PY
fi

if [[ " $PARTS " == *" ort "* ]]; then
  # NFNetScoringEngine.OnnxRuntime (our export, ONNX Runtime 1.31 from NuGet) against timm's export on ONNX Runtime 1.21.
  ORT_FIGURES=${FIGURES:-F0:infer:1:256,F0:infer:8:192,eca_nfnet_l0:infer:1:256,eca_nfnet_l0:infer:8:192}
  python3 "$PEER_DIR/side_by_side.py" --rounds "$ROUNDS" --figures "$ORT_FIGURES" --ours "$OURS --engine onnxruntime" \
    --limits "$(echo "$ORT_FIGURES" | tr ',' '\n' | grep ':1:' | sed 's/$/@ours\/ort=1.0/' | paste -sd,)" \
    | tee "$OUT/ort-engine.md" || status=1
fi

if [[ " $PARTS " == *" ours "* ]]; then
  # ML.NET Transform over an IDataView of images vs batched PredictProbabilities (target >= 0.9), eca_nfnet_l0 at 224.
  $APP speed --variant eca_nfnet_l0 --mode transform --batch 8 --size 224 --runs 3 --warmup 1 --result-line \
    --output "$OUT/bench" | tee "$OUT/transform.txt"
  # First prediction: Model.Load of a saved zip + first PredictionEngine.Predict, fresh processes (median of 5).
  for v in nfnet_tiny eca_nfnet_l0 F0; do
    $APP speed --variant $v --mode first-prediction --batch 1 --size 224 --runs 5 --result-line --output "$OUT/bench"
  done | tee "$OUT/first-prediction.txt"
  # bf16 vs fp32 on real images: the sample's trained nfnet_tiny (trained here, 8 epochs at 64 px) and eca_nfnet_l0.
  [ -f "$OUT/tiny/model.zip" ] || $SAMPLE train --data "$ROOT/src/Microsoft.ML.NFNet.Samples/Data/FashionMnist" \
    --arch nfnet_tiny --epochs 8 --image-size 64 --learning-rate 0.1 --output "$OUT/tiny" > "$OUT/tiny-train.log"
  { $APP speed --mode bf16-agreement --variant nfnet_tiny --batch 32 --size 64 --model "$OUT/tiny/model.zip" --result-line --output "$OUT/bench"
    $APP speed --mode bf16-agreement --variant eca_nfnet_l0 --batch 8 --size 224 --result-line --output "$OUT/bench"
  } | tee "$OUT/bf16-agreement.txt"
fi
uptime | tee -a "$OUT/machine.txt"
echo "results in $OUT (anchor.md, ort-engine.md, peak-rss.txt, transform.txt, first-prediction.txt, bf16-agreement.txt)"
exit $status

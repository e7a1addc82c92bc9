#!/usr/bin/env bash
# Peak resident memory of Fit as the data grows (docs/large-data.md): runs the benchmark app's `memory` command
# (bench/Microsoft.ML.NFNet.Benchmarks/Memory) on SMALL and LARGE generated JPEGs of 256×256 px (~50 KB, 10 classes;
# image i is the same file in both sets), nfnet_tiny from scratch, 1 epoch at 64 px, seed 1, each run in its own process
# (so each peak is its own), and compares the peaks. Paths (PATHS, default "engine mlnet"):
#   engine   ImageDataSource.FromFolder + NFNetTrainingEngine          memory   the same files in FromMemory (reference)
#   mlnet    an IDataView of file paths + LoadRawImageBytes + Trainers.NFNet (default data memory budget)
#   mlnet:N  the same with N MB of encoded images kept in memory (mlnet:100000 = all in memory, the reference)
# Peak RSS is the kernel's VmHWM read at the end of Fit; /usr/bin/time's maximum RSS (whole process) is printed too.
# Memory figures are robust on a busy machine; times are not: each run prints the load average with them.
#   eng/memory-bench.sh [DATA_DIR] [SMALL] [LARGE]        default: ${TMPDIR:-/tmp}/nfnet-memory-bench 2000 20000
#   PATHS="mlnet mlnet:100000" eng/memory-bench.sh        the temp file against memory on the same data
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-${TMPDIR:-/tmp}/nfnet-memory-bench}
SMALL=${2:-2000}
LARGE=${3:-20000}
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
dotnet build "$ROOT/bench/Microsoft.ML.NFNet.Benchmarks" -c Release -nologo -v q > /dev/null
BENCH=("$ROOT/bench/Microsoft.ML.NFNet.Benchmarks/bin/Release/net10.0/Microsoft.ML.NFNet.Benchmarks.dll" memory)
dotnet "${BENCH[@]}" generate "$DATA/n$SMALL" "$SMALL"
dotnet "${BENCH[@]}" generate "$DATA/n$LARGE" "$LARGE"
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
for path in ${PATHS:-engine mlnet}; do
  mode=${path%%:*}
  budget=$([[ $path == *:* ]] && echo "${path#*:}" || true)
  for n in "$SMALL" "$LARGE"; do
    echo "== $path, $n images (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    # shellcheck disable=SC2086
    /usr/bin/time -f "  /usr/bin/time: max RSS %M KiB, %e s wall" dotnet "${BENCH[@]}" "$mode" "$DATA/n$n" $budget 2>&1 \
      | grep -E '^RESULT|^  ' | tee -a "$RESULTS"
  done
done
echo "== peak RSS, $LARGE vs $SMALL images (target: at most 1.3x)"
awk -v small="$SMALL" -v large="$LARGE" '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); field[kv[1]] = kv[2] }
    peak[field["path"], field["images"]] = field["peak_rss_mib"]; paths[field["path"]] = 1 }
  END { for (p in paths) if ((p, small) in peak && (p, large) in peak)
    printf "%-24s %6d MiB -> %6d MiB  %.2fx\n", p, peak[p, small], peak[p, large], peak[p, large] / peak[p, small] }' "$RESULTS"

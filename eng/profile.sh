#!/usr/bin/env bash
# Where a figure spends its CPU time: samples the timed passes of the benchmark app's `probe run` with `perf record`
# (cpu-clock, so it works in VMs without hardware counters) and groups the symbols into categories.
#   eng/profile.sh F0 1 256 10 infer fp32 frozen
#   eng/profile.sh eca_nfnet_l0 8 192 4 train bf16
# OMP_WAIT_POLICY=PASSIVE keeps idle OpenMP threads asleep, so the samples are work, not barrier spinning (which under
# load from other processes is most of the samples otherwise); DNNL_JIT_PROFILE=2 names oneDNN's generated kernels.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
dotnet build "$ROOT/bench/Microsoft.ML.NFNet.Benchmarks" -c Release -nologo -v q > /dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} DNNL_JIT_PROFILE=2 perf record -q -k CLOCK_MONOTONIC -e cpu-clock -F 499 \
  -o "$WORK/perf.data" -- dotnet "$ROOT/bench/Microsoft.ML.NFNet.Benchmarks/bin/Release/net10.0/Microsoft.ML.NFNet.Benchmarks.dll" \
  probe run "$@" > "$WORK/out.txt"
grep -v '^MARK' "$WORK/out.txt"
START=$(awk '/^MARK start/{print $3}' "$WORK/out.txt"); END=$(awk '/^MARK end/{print $3}' "$WORK/out.txt")
perf report -i "$WORK/perf.data" --time "$START,$END" --stdio --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' > "$WORK/report.txt"
python3 - "$WORK/report.txt" <<'PY'
import collections, re, sys
categories = [  # first match wins
    ('convolution kernels (oneDNN)', r'conv_|_conv|convolution|fwd_kernel|bwd_|brgemm|brg_|wino'),
    ('layout reorders (oneDNN)', r'reorder|single_blk|transpose'),
    ('other oneDNN kernels', r'jit_uni_kernel|dnnl'),
    ('weight standardization (batch_norm)', r'batch_norm'),
    ('activations (GELU, SiLU, sigmoid, exp)', r'gelu|silu|sigmoid|Gelu|tanh|expf|Sleef'),
    ('elementwise mul/add/copy/fill', r'mul_kernel|add_kernel|div_|direct_copy|copy_kernel|fill_kernel|where|sub_kernel|clamp|threshold|neg|abs|pow'),
    ('pooling, means, norms, reductions', r'avg_pool|adaptive|mean|sum|reduce|cascade|norm'),
    ('matrix products (SE/ECA, classifier, im2col stem)', r'mkl_blas|sgemm|gemv|gemm|im2col|col2im|unfold|Unfold'),
    ('kernel: page faults and memory', r'page|clear_|mm_fault|memcg|folio|rmap|lru|pte|vma|unmap|mmap'),
    ('kernel: scheduling and other', r'\[k\]'),
    ('malloc/free', r'malloc|free|_int_|memalign|unlink_chunk|consolidate|operator new|operator delete'),
    ('OpenMP runtime (libgomp)', r'gomp|0x0000'),
    ('dispatch: libtorch, TorchSharp, .NET', r'c10::|at::|Dispatch|intrusive|TensorImpl|THS|Sp_counted|OperatorEntry|\[JIT\]|std::'),
]
totals = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r'\s*([\d.]+)%\s+(.*)', line)
    if not m:
        continue
    share, symbol = float(m.group(1)), m.group(2)
    totals[next((name for name, rx in categories if re.search(rx, symbol)), 'other')] += share
for name, share in totals.most_common():
    print(f'{share:6.1f} %  {name}')
PY

#!/usr/bin/env bash
# How much slower training, inference and serving get when other processes want the cores (issue 19): each figure
# quiet, beside 1 and 2 CPU-bound competitors (`sh -c 'while :; do :; done'`, same priority), and under `nice -n 19`
# beside one; for several OpenMP configurations, interleaved (round 1: A B C, round 2: A B C, ...). Prints wall times,
# slowdowns against the same configuration's quiet run of the same round, and the machine's state before each run.
#
#   eng/contention-bench.sh                        # train, infer and webapi (about an hour on a quiet 2-core machine)
#   eng/contention-bench.sh train                  # one part: train | infer | webapi | peer
#   CONFIGS="default GOMP_SPINCOUNT=300000" ROUNDS=3 eng/contention-bench.sh train
#
# Parts: train (the sample: nfnet-samples --epochs $EPOCHS, Fashion-MNIST subset, train + evaluate + save + reload +
# predict, wall time), infer (the benchmark app's speed --mode infer, eca_nfnet_l0 at batch 1 @256 and batch 8 @192,
# median ms, through the ScoringNetwork NFNetModelParameters scores with, threads tuned unless a configuration fixes them), webapi (the benchmark app's webapi-load:
# requests/s and p99 at each of $CLIENTS concurrent clients, for each of $WEBAPI_VARIANTS);
# peer (not by default: ours and PyTorch/timm side by side, eca_nfnet_l0 inference b1 @256 and training step b8 @192,
# timm in the peer userland of bench/peer: make-userland.sh builds it once, as root).
# Environment:
#   CONFIGS      configurations, space-separated; each is "default" (no setting: the library's own choice) or
#                comma-separated NAME=VALUE pairs put in the environment of the measured process, e.g.
#                "OMP_NUM_THREADS=2" (a fixed count: the library's behaviour before its thread tuner) or
#                "OMP_WAIT_POLICY=PASSIVE" or "GOMP_SPINCOUNT=10000,OMP_NUM_THREADS=1"; the pair "engine=onnxruntime"
#                is not put in the environment but makes infer and peer score with NFNetScoringEngine.OnnxRuntime
#                (e.g. CONFIGS="default engine=onnxruntime"). Default: "default
#                OMP_NUM_THREADS=<cores> OMP_WAIT_POLICY=PASSIVE,OMP_NUM_THREADS=<cores>".
#   SCENARIOS    any of quiet one two nice quota (default all but quota; quiet always runs first in a round: it is the
#                baseline). quota runs the measured process alone in a cgroup limited to QUOTA_CPUS CPUs' time (default
#                half the cores; a container's CPU limit, as `docker run --cpus`; needs root and a cgroup cpu controller).
#                WEBAPI_SCENARIOS: the same for the webapi part (default "quiet one").
#   ROUNDS (2), EPOCHS (8), CLIENTS ("1 4 16"), WEBAPI_VARIANTS ("nfnet_tiny eca_nfnet_l0"), DURATION (15 s of
#   load-test measurement after WARMUP 3 s), INFER_FIGURES ("eca_nfnet_l0:infer:1:256:10:3
#   eca_nfnet_l0:infer:1:256:20:10 eca_nfnet_l0:infer:8:192:10:6", as variant:mode:batch:size:runs:warmup), PEER_FIGURES (the same form),
#   PEER_CONFIGS ("default timm"; "timm" is PyTorch at its defaults), ANCHOR_ROOT (the peer userland,
#   /var/tmp/nfnet-anchor-trixie as make-userland.sh makes it).
#   TIMEOUT_FACTOR (8): a loaded run is stopped after this many times its quiet run of the round (at least
#                MIN_TIMEOUT, 60 s) and reported as "> N s"; QUIET_TIMEOUT (600 s) bounds the quiet runs.
#   QUIET_BUSY (10): before each run, with no competitor running yet, wait until the CPUs were less than this
#                percent busy over 2 s, polling every 30 s for at most QUIET_WAIT seconds (default 0: do not wait;
#                every line records how busy it was anyway).
#   PRIORITY (0): niceness of the measured process and of the competitors ("nice" runs the measured one 19 higher).
#                -20 (root) makes a shared machine nearly quiet for the measurement: other processes then get about 1 %
#                of a core each while a measured process or competitor wants it (the session's autogroup is raised too,
#                see below). Say so with the figures.
#   BUILD (1): 0 skips the Release build. OUT (contention-results): folder for results.tsv (rewritten), logs, summary.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PARTS=${*:-train infer webapi}
CONFIGS=${CONFIGS:-default OMP_NUM_THREADS=$(nproc) OMP_WAIT_POLICY=PASSIVE,OMP_NUM_THREADS=$(nproc)}
SCENARIOS=${SCENARIOS:-quiet one two nice}  # and quota
WEBAPI_SCENARIOS=${WEBAPI_SCENARIOS:-quiet one}
ROUNDS=${ROUNDS:-2}
EPOCHS=${EPOCHS:-8}
CLIENTS=${CLIENTS:-1 4 16}
WEBAPI_VARIANTS=${WEBAPI_VARIANTS:-nfnet_tiny eca_nfnet_l0}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
INFER_FIGURES=${INFER_FIGURES:-eca_nfnet_l0:infer:1:256:20:10 eca_nfnet_l0:infer:8:192:10:6}
PEER_FIGURES=${PEER_FIGURES:-eca_nfnet_l0:infer:1:256:10:3 eca_nfnet_l0:train:8:192:4:2}
PEER_CONFIGS=${PEER_CONFIGS:-default timm}
PEER_DIR=$ROOT/bench/peer
ANCHOR_ROOT=${ANCHOR_ROOT:-/var/tmp/nfnet-anchor-trixie}
TIMEOUT_FACTOR=${TIMEOUT_FACTOR:-8}
MIN_TIMEOUT=${MIN_TIMEOUT:-60}
QUIET_TIMEOUT=${QUIET_TIMEOUT:-600}
QUIET_BUSY=${QUIET_BUSY:-10}
QUIET_WAIT=${QUIET_WAIT:-0}
PRIORITY=${PRIORITY:-0}
QUOTA_CPUS=${QUOTA_CPUS:-$(awk -v n="$(nproc)" 'BEGIN { print (n >= 2 ? n / 2 : 1) }')}
OUT=${OUT:-$ROOT/contention-results}
mkdir -p "$OUT/logs"
# With the kernel's autogroups (most desktops and servers), niceness only orders processes of one session against each
# other; sessions share the CPUs equally. A negative PRIORITY therefore also raises this session's autogroup, so that
# other sessions' work hardly disturbs the measurement (the competitors are in this session, like the measured process).
if [ "$PRIORITY" -lt 0 ] && [ -w /proc/self/autogroup ]; then echo "$PRIORITY" > /proc/self/autogroup; fi
RESULTS=$OUT/results.tsv
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1

if [ "${BUILD:-1}" = 1 ]; then
  dotnet build "$ROOT/src/Microsoft.ML.NFNet.Samples" -c Release -nologo -v q
  dotnet build "$ROOT/bench/Microsoft.ML.NFNet.Benchmarks" -c Release -nologo -v q
fi
SAMPLES=$ROOT/src/Microsoft.ML.NFNet.Samples/bin/Release/net10.0/nfnet-samples.dll
BENCH=$ROOT/bench/Microsoft.ML.NFNet.Benchmarks/bin/Release/net10.0/Microsoft.ML.NFNet.Benchmarks.dll

{ echo "# contention-bench $(date -u +%FT%TZ) on $(hostname)"; uptime; grep -m1 'model name' /proc/cpuinfo || true
  echo "cores: $(nproc)"; dotnet --version; git -C "$ROOT" log -1 --format='commit %h %s'
  echo "configs: $CONFIGS | scenarios: $SCENARIOS | webapi scenarios: $WEBAPI_SCENARIOS | rounds: $ROUNDS | priority: $PRIORITY | quota: $QUOTA_CPUS CPUs"; } | tee "$OUT/machine.txt"
printf 'part\tfigure\tconfig\tscenario\tround\tvalue\tunit\textra\tbusy_before_pct\tload1_before\tload1_after\ttimed_out\n' > "$RESULTS"

# Percent of all CPUs busy over 2 s, from /proc/stat (not the load average: it lags a minute behind our own competitors).
busy_percent() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat); sleep 2; read -r -a b < <(grep '^cpu ' /proc/stat)
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

wait_until_quiet() {
  local waited=0 busy
  busy=$(busy_percent)
  while [ "$busy" -ge "$QUIET_BUSY" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
    echo "  machine ${busy}% busy, waiting (${waited}/${QUIET_WAIT} s)" >&2
    sleep 30; waited=$((waited + 30)); busy=$(busy_percent)
  done
  echo "$busy"
}

COMPETITORS=()
start_competitors() {
  local i
  for ((i = 0; i < $1; i++)); do nice -n "$PRIORITY" sh -c 'while :; do :; done' & COMPETITORS+=($!); done
}
stop_competitors() {
  local pid
  for pid in "${COMPETITORS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  COMPETITORS=()
}
cleanup() { stop_competitors; [ -z "${QUOTA_DIR:-}" ] || rmdir "$QUOTA_DIR" 2>/dev/null || true; }
trap cleanup EXIT

competitors_of() { case $1 in quiet|quota) echo 0 ;; one|nice) echo 1 ;; two) echo 2 ;; *) echo "unknown scenario $1" >&2; exit 2 ;; esac; }

# make_quota_group: a cgroup whose processes together get $QUOTA_CPUS CPUs' time; sets QUOTA_PROCS, the file that takes a
# process id. Run once, outside $(...), so that a failure stops the script (set -e).
QUOTA_DIR=""
make_quota_group() {
  local period=100000 quota
  quota=$(awk -v c="$QUOTA_CPUS" -v p=$period 'BEGIN { printf "%d", c * p }')
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then  # cgroup v2: the cpu controller must be enabled for children
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
    QUOTA_DIR=/sys/fs/cgroup/nfnet-contention-quota
    mkdir -p "$QUOTA_DIR"; echo "$quota $period" > "$QUOTA_DIR/cpu.max"
    [ "$(cat "$QUOTA_DIR/cpu.max")" = "$quota $period" ]
  elif [ -d /sys/fs/cgroup/cpu ]; then                 # cgroup v1
    QUOTA_DIR=/sys/fs/cgroup/cpu/nfnet-contention-quota
    mkdir -p "$QUOTA_DIR"; echo "$period" > "$QUOTA_DIR/cpu.cfs_period_us"; echo "$quota" > "$QUOTA_DIR/cpu.cfs_quota_us"
    [ "$(cat "$QUOTA_DIR/cpu.cfs_quota_us")" = "$quota" ]
  else
    echo "quota: no cgroup cpu controller found" >&2; exit 2
  fi
  QUOTA_PROCS=$QUOTA_DIR/cgroup.procs
}

# env arguments for a configuration: the user-level OpenMP variables are cleared first, so only the config's count.
env_of() {
  local args=(-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_NUM_THREADS -u MKL_NUM_THREADS -u DOTNET_PROCESSOR_COUNT)
  [ "$1" = default ] || { local IFS=,; for pair in $1; do [[ $pair == engine=* ]] || args+=("$pair"); done; }
  echo "${args[@]}"
}

# The scoring engine a configuration names (its "engine=..." pair), torchsharp by default.
engine_of() {
  local pair IFS=,
  for pair in $1; do [[ $pair == engine=* ]] && { echo "${pair#engine=}"; return; }; done
  echo torchsharp
}

# measure PART FIGURE CONFIG SCENARIO ROUND TIMEOUT_S LOG -- command...: runs the command in the config's environment
# beside the scenario's competitors; sets ELAPSED (s, wall) and TIMED_OUT; leaves the output in LOG.
measure() {
  local part=$1 figure=$2 config=$3 scenario=$4 round=$5 limit=$6 log=$7; shift 8
  local prefix=(nice -n "$PRIORITY") busy load1 start rc=0
  [ "$scenario" = nice ] && prefix=(nice -n $((PRIORITY + 19)))
  # shellcheck disable=SC2016
  [ "$scenario" = quota ] && prefix+=(sh -c 'echo $$ > "$0" && exec "$@"' "$QUOTA_PROCS")
  busy=$(wait_until_quiet); load1=$(cut -d' ' -f1 /proc/loadavg)
  start_competitors "$(competitors_of "$scenario")"
  start=$(date +%s.%N)
  # shellcheck disable=SC2046
  timeout --kill-after=10 "$limit" "${prefix[@]}" env $(env_of "$config") "$@" > "$log" 2>&1 || rc=$?
  ELAPSED=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  stop_competitors
  TIMED_OUT=0; [ "$rc" = 124 ] || [ "$rc" = 137 ] && TIMED_OUT=1
  if [ "$rc" != 0 ] && [ "$TIMED_OUT" = 0 ]; then echo "FAILED ($rc): $*; see $log" >&2; tail -5 "$log" >&2; fi
  BUSY=$busy LOAD1=$load1 LOAD1_AFTER=$(cut -d' ' -f1 /proc/loadavg)
}

record() { # part figure config scenario round value unit extra
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$BUSY" "$LOAD1" "$LOAD1_AFTER" "$TIMED_OUT" >> "$RESULTS"
  printf '  %-7s %-28s %-32s %-5s round %s: %s %s %s (busy before %s%%, load %s -> %s%s)\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$BUSY" "$LOAD1" "$LOAD1_AFTER" \
    "$([ "$TIMED_OUT" = 1 ] && echo ', STOPPED at the limit')"
}

limit_for() { # quiet seconds -> limit for a loaded run
  local q=${1%.*}; local l=$(( (q + 1) * TIMEOUT_FACTOR )); echo $(( l < MIN_TIMEOUT ? MIN_TIMEOUT : l ))
}

run_train() {
  local round config scenario quiet log dir
  for ((round = 1; round <= ROUNDS; round++)); do
    declare -A quiet_of=()
    for scenario in quiet $(echo "$SCENARIOS" | tr ' ' '\n' | grep -vx quiet); do
      for config in $CONFIGS; do
        local limit=$QUIET_TIMEOUT
        [ "$scenario" = quiet ] || limit=$(limit_for "${quiet_of[$config]:-$QUIET_TIMEOUT}")
        dir=$(mktemp -d); log="$OUT/logs/train-${config//[^A-Za-z0-9=_-]/_}-$scenario-$round.log"
        measure train "sample --epochs $EPOCHS" "$config" "$scenario" "$round" "$limit" "$log" -- \
          dotnet "$SAMPLES" --epochs "$EPOCHS" --output "$dir"
        rm -rf "$dir"
        [ "$scenario" = quiet ] && quiet_of[$config]=$ELAPSED
        record train "sample --epochs $EPOCHS" "$config" "$scenario" "$round" "$(printf '%.1f' "$ELAPSED")" s ""
      done
    done
  done
}

# run_bench PART "FIGURES" "CONFIGS": bench figures (variant:mode:batch:size:runs:warmup), median ms per process. The
# config "timm" runs PyTorch/timm's same figure in the peer userland (bench/peer), at PyTorch's defaults.
run_bench() {
  local part=$1 figures=$2 configs=$3 round config scenario figure log
  for ((round = 1; round <= ROUNDS; round++)); do
    for figure in $figures; do
      IFS=: read -r variant mode batch size runs warm <<< "$figure"
      declare -A quiet_of=()
      for scenario in quiet $(echo "$SCENARIOS" | tr ' ' '\n' | grep -vx quiet); do
        for config in $configs; do
          local limit=$QUIET_TIMEOUT command
          [ "$scenario" = quiet ] || limit=$(limit_for "${quiet_of[$config]:-$QUIET_TIMEOUT}")
          log="$OUT/logs/$part-$variant-$mode-b$batch-${config//[^A-Za-z0-9=_-]/_}-$scenario-$round.log"
          if [ "$config" = timm ]; then
            command=("$PEER_DIR/in-userland.sh" "$ANCHOR_ROOT" python3 /opt/nfnet-peer/peer_timing.py --model "$variant" --mode "$mode"
                     --batch "$batch" --size "$size" --runs "$runs" --warmup "$warm" --threads "$(nproc)")
          else
            command=(dotnet "$BENCH" speed --variant "$variant" --mode "$mode" --batch "$batch" --size "$size"
                     --runs "$runs" --warmup "$warm" --threads "$(nproc)" --engine "$(engine_of "$config")" --result-line --output "$OUT/bench")
          fi
          measure "$part" "$variant $mode b$batch @$size" "$([ "$config" = timm ] && echo default || echo "$config")" \
            "$scenario" "$round" "$limit" "$log" -- "${command[@]}"
          [ "$scenario" = quiet ] && quiet_of[$config]=$ELAPSED
          local median
          median=$(grep -h '^RESULT ' "$log" | tail -1 | sed 's/^RESULT //' | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["median_ms"], 1))' 2>/dev/null || echo NaN)
          record "$part" "$variant $mode b$batch @$size" "$config" "$scenario" "$round" "$median" "ms" "process ${ELAPSED} s"
        done
      done
    done
  done
}

run_webapi() {
  local round config scenario variant clients log
  for ((round = 1; round <= ROUNDS; round++)); do
    for variant in $WEBAPI_VARIANTS; do
      for clients in $CLIENTS; do
        for scenario in quiet $(echo "$WEBAPI_SCENARIOS" | tr ' ' '\n' | grep -vx quiet); do
          for config in $CONFIGS; do
            log="$OUT/logs/webapi-$variant-c$clients-${config//[^A-Za-z0-9=_-]/_}-$scenario-$round.log"
            # The competitors also run while the model trains (seconds); only requests after the warm-up count.
            measure webapi "$variant, $clients clients" "$config" "$scenario" "$round" "$QUIET_TIMEOUT" "$log" -- \
              dotnet "$BENCH" webapi-load --architecture "$variant" --concurrency "$clients" --duration "$DURATION" --warmup "$WARMUP"
            local line rps p99
            line=$(grep -E 'requests/s' "$log" | tail -1 || true)
            rps=$(echo "$line" | sed -nE 's/.*: ([0-9.]+) requests\/s.*/\1/p'); p99=$(echo "$line" | sed -nE 's/.*p99 ([0-9.]+).*/\1/p')
            record webapi "$variant, $clients clients" "$config" "$scenario" "$round" "${rps:-NaN}" "req/s" "p99 ${p99:-NaN} ms"
          done
        done
      done
    done
  done
}

case " $SCENARIOS $WEBAPI_SCENARIOS " in *" quota "*) make_quota_group ;; esac
for part in $PARTS; do
  case $part in
    train) run_train ;;
    infer) run_bench infer "$INFER_FIGURES" "$CONFIGS" ;;
    peer) [ -x "$ANCHOR_ROOT/usr/bin/python3" ] || { echo "peer: no peer userland at $ANCHOR_ROOT; build it with $PEER_DIR/make-userland.sh (root)" >&2; exit 2; }
          run_bench peer "$PEER_FIGURES" "$PEER_CONFIGS" ;;
    webapi) run_webapi ;;
    *) echo "unknown part '$part' (train | infer | webapi | peer)" >&2; exit 2 ;;
  esac
done

# Summary: per figure and configuration, the median over rounds of each scenario, and the median over rounds of the
# slowdown against the same configuration's quiet run of the same round.
python3 - "$RESULTS" <<'PY' | tee "$OUT/summary.md"
import csv, statistics, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
order = ['quiet', 'one', 'two', 'nice', 'quota']
cells = defaultdict(list)
for r in rows:
    cells[(r['part'], r['figure'], r['config'], r['scenario'])].append(r)
def num(r):
    try: return float(r['value'])
    except ValueError: return float('nan')
figures = list(dict.fromkeys((r['part'], r['figure']) for r in rows))
configs = list(dict.fromkeys(r['config'] for r in rows))
for part, figure in figures:
    scen = [s for s in order if any((part, figure, c, s) in cells for c in configs)]
    unit = next(r['unit'] for r in rows if (r['part'], r['figure']) == (part, figure))
    print(f"\n### {part}: {figure} ({unit}; median over rounds; × = same-round ratio to the config's quiet run)\n")
    print('| config | ' + ' | '.join(scen) + ' |'); print('|---' * (len(scen) + 1) + '|')
    for c in [c for c in configs if any((part, figure, c, s) in cells for s in scen)]:
        out = []
        for s in scen:
            rs = cells.get((part, figure, c, s), [])
            if not rs: out.append('–'); continue
            vals = [num(r) for r in rs if num(r) == num(r)]
            stopped = [r for r in rs if r['timed_out'] == '1']
            if not vals:
                text = 'stopped at the limit (' + ', '.join(r['extra'] for r in rs) + ')'
            elif stopped and part == 'train':
                text = f"> {statistics.median(vals):.0f}"
            else:
                text = f"{statistics.median(vals):.1f}" + (f" ({len(stopped)} of {len(rs)} stopped)" if stopped else '')
            extra = [r['extra'] for r in rs if r['extra'] and part == 'webapi']
            if extra: text += f" ({extra[len(extra)//2]})"
            if s != 'quiet' and part != 'webapi':
                ratios = []
                for r in rs:
                    q = [x for x in cells.get((part, figure, c, 'quiet'), []) if x['round'] == r['round']]
                    if q and num(q[0]) > 0 and num(r) == num(r): ratios.append(num(r) / num(q[0]))
                if ratios:
                    text += f" ({'> ' if stopped else ''}{statistics.median(ratios):.2f}×)"
            text += f" [busy {','.join(r['busy_before_pct'] for r in rs)} %; load {','.join(r['load1_before'] + '→' + r['load1_after'] for r in rs)}]"
            out.append(text)
        print(f"| {c} | " + ' | '.join(out) + ' |')
PY

#!/usr/bin/env python3
"""Times our NFNet and its peers (timm eager, timm under bf16 autocast, timm on ONNX Runtime) in one run, and prints
a markdown table of medians and same-round ratios.

  bench/peer/side_by_side.py --ours 'TEMPLATE' [--ours-bf16 'TEMPLATE'] [--rounds 3] [--figures F0:infer:1:256,...]
                             [--limits F0:infer:1:256@ours/ort=1.0,...] [--peer 'COMMAND PREFIX']

A template is a shell command with the fields {variant} (F0 or eca_nfnet_l0), {mode} (infer or train), {batch},
{size}, {runs} (10 for infer, 4 for train) and {warmup} (3 or 2); it must print a line `RESULT {json}` with at least
median_ms. The peers run peer_timing.py inside the userland of make-userland.sh (built on first use) unless --peer
gives another command prefix. Absolute times drift on a busy machine, so every figure is measured in rounds: in each
round every engine runs once, as its own process, in an order that rotates from round to round, each after waiting
(up to --quiet-wait seconds) for the machine to be mostly idle. A ratio is taken between two engines of the same round,
then the median over rounds is reported with its range. After the table: one JSON line with every figure, one line per
limit, and a verdict; the exit code is 1 when a limit does not hold or an engine gave no result.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMM_NAMES = {'F0': 'dm_nfnet_f0', 'eca_nfnet_l0': 'eca_nfnet_l0'}
PROTOCOL = {'infer': ('10', '3'), 'train': ('4', '2')}  # (runs, warm-ups)
ALL_FIGURES = ('F0:infer:1:256,F0:infer:8:192,F0:train:8:192,'
               'eca_nfnet_l0:infer:1:256,eca_nfnet_l0:infer:8:192,eca_nfnet_l0:train:8:192')
COLUMNS = [('ours', 'ours ms'), ('ours_bf16', 'ours bf16 ms'), ('timm', 'timm fp32 ms'), ('bf16', 'timm bf16 ms'),
           ('ort', 'ORT fp32 ms')]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ours', required=True, help='command template of our benchmark (see above)')
    p.add_argument('--ours-bf16', default='', help='command template of our bf16 mode, reported as ours_bf16')
    p.add_argument('--peer', default='', help='command prefix that runs peer_timing.py [default: in the userland]')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--figures', default=ALL_FIGURES, help='comma-separated VARIANT:MODE:BATCH:SIZE')
    p.add_argument('--limits', default='', help='comma-separated FIGURE@MINE/PEER=MAX: the same-round ratio MINE/PEER '
                   '(MINE ours or ours_bf16, PEER timm, bf16 or ort) must be at most MAX')
    p.add_argument('--inference-peers', default='bf16,ort', help='peers besides timm for inference figures')
    p.add_argument('--quiet-wait', type=float, default=60, help='seconds to wait for an idle machine before each process')
    args = p.parse_args()
    args.figures = [tuple(f.split(':')) for f in args.figures.split(',') if f]
    for figure in args.figures:
        if len(figure) != 4 or figure[0] not in TIMM_NAMES or figure[1] not in PROTOCOL:
            p.error(f'bad figure {":".join(figure)}: want VARIANT:MODE:BATCH:SIZE with VARIANT in {list(TIMM_NAMES)}')
    args.limits = [parse_limit(p, item) for item in args.limits.split(',') if item]
    return args


def parse_limit(p, item):
    try:
        target, most = item.split('=')
        figure, pair = target.split('@')
        mine, peer = pair.split('/')
        return figure, mine, peer, float(most)
    except ValueError:
        p.error(f'bad limit {item!r}: want FIGURE@MINE/PEER=MAX')


def busy_share(seconds=2.0):
    """The share of the machine's CPU time not idle over the next `seconds` (from /proc/stat)."""
    def sample():
        with open('/proc/stat') as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # idle + iowait
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_until_quiet(max_seconds, threshold=0.15):
    deadline = time.monotonic() + max_seconds
    busy = busy_share()
    while busy >= threshold and time.monotonic() < deadline:
        busy = busy_share()
    return busy


def measure(command, quiet_wait, timeout=1800):
    busy = wait_until_quiet(quiet_wait)
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f'no result within {timeout} s from: {command}\n')
        return None
    line = next((l for l in done.stdout.splitlines() if l.startswith('RESULT ')), None)
    try:
        result = json.loads(line[len('RESULT '):])
        float(result['median_ms'])
    except (TypeError, ValueError, KeyError):
        sys.stderr.write(f'no RESULT line with median_ms (exit {done.returncode}) from: {command}\n'
                         f'{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n')
        return None
    result['busy_before'] = round(busy, 3)
    return result


def peer_prefix():
    made = subprocess.run([os.path.join(HERE, 'make-userland.sh')], capture_output=True, text=True)
    lines = made.stdout.strip().splitlines()
    if made.returncode != 0 or not lines:
        sys.exit(f'side_by_side: the peer userland could not be made:\n{made.stderr[-3000:]}')
    return f'{os.path.join(HERE, "in-userland.sh")} {lines[-1]} python3 /opt/nfnet-peer/peer_timing.py'


def commands(args, peer, figure):
    variant, mode, batch, size = figure
    runs, warmup = PROTOCOL[mode]
    fields = dict(variant=variant, mode=mode, batch=batch, size=size, runs=runs, warmup=warmup)
    engines = {'timm': 'eager', 'ours': args.ours}
    if args.ours_bf16:
        engines['ours_bf16'] = args.ours_bf16
    if mode == 'infer':
        engines.update((e, e) for e in args.inference_peers.split(',') if e)
    out = {}
    for engine, what in engines.items():
        if engine.startswith('ours'):
            out[engine] = what.format(**fields)
        else:
            out[engine] = (f'{peer} --model {TIMM_NAMES[variant]} --mode {mode} --engine {what} --batch {batch} '
                           f'--size {size} --runs {runs} --warmup {warmup}')
    return out


def same_round_ratio(rounds, mine, peer):
    ratios = [r[mine]['median_ms'] / r[peer]['median_ms'] for r in rounds if r.get(mine) and r.get(peer)]
    if not ratios:
        return None, None
    return round(statistics.median(ratios), 3), [round(min(ratios), 3), round(max(ratios), 3)]


def median_of(rounds, engine):
    times = [r[engine]['median_ms'] for r in rounds if r.get(engine)]
    return statistics.median(times) if times else None


def main():
    args = parse_args()
    peer = args.peer or peer_prefix()
    measured = {}  # figure key -> one {engine: result or None} per round
    for round_index in range(args.rounds):
        for figure in args.figures:
            planned = list(commands(args, peer, figure).items())
            shift = round_index % len(planned)
            got = {engine: measure(command, args.quiet_wait) for engine, command in planned[shift:] + planned[:shift]}
            measured.setdefault(':'.join(figure), []).append(got)
            print(f'round {round_index + 1} {":".join(figure)}: ' +
                  ', '.join(f'{e} {r["median_ms"] if r else "FAILED"}' for e, r in got.items()), flush=True)

    print('\n| figure | ' + ' | '.join(title for _, title in COLUMNS) + ' | ours/timm fp32 | best of ours / best peer |')
    print('|---' * (len(COLUMNS) + 3) + '|')
    summary = {}
    for key, rounds in measured.items():
        medians = {engine: median_of(rounds, engine) for engine, _ in COLUMNS}
        ratio, spread = same_round_ratio(rounds, 'ours', 'timm')
        ours = [medians[e] for e in ('ours', 'ours_bf16') if medians[e]]
        peers = [medians[e] for e in ('timm', 'bf16', 'ort') if medians[e]]
        best = round(min(ours) / min(peers), 3) if ours and peers else None
        summary[key] = dict(ours=medians['ours'], ours_bf16=medians['ours_bf16'], timm=medians['timm'],
                            timm_bf16=medians['bf16'], ort=medians['ort'], ours_over_timm=ratio,
                            ours_over_timm_range=spread, best_ours_over_best_peer=best,
                            peak_rss_mib={e: max(r[e].get('peak_rss_mib', 0) for r in rounds if r.get(e))
                                          for e, _ in COLUMNS if any(r.get(e) for r in rounds)})
        cells = ['-' if medians[e] is None else f'{medians[e]:.0f}' for e, _ in COLUMNS]
        print(f'| {key} | ' + ' | '.join(cells) + f' | {ratio} {spread or ""} | {best} |')
    print(json.dumps(summary))

    failed = [key for key, rounds in measured.items() if any(r is None for got in rounds for r in got.values())]
    short = []
    for figure, mine, peer_engine, most in args.limits:
        ratio, _ = same_round_ratio(measured.get(figure, []), mine, peer_engine)
        holds = ratio is not None and ratio <= most
        print(f'limit {figure} {mine}/{peer_engine}={ratio} (<= {most}: {"ok" if holds else "NO"})')
        if not holds:
            short.append(f'{figure} {mine}/{peer_engine}={ratio}')
    if args.limits:
        print(f'perf: {len(args.limits) - len(short)}/{len(args.limits)} limits hold' +
              (f'; short: {"; ".join(short)}' if short else ''))
    if failed:
        print(f'perf: an engine gave no result for {", ".join(failed)}')
    sys.exit(1 if short or failed else 0)


if __name__ == '__main__':
    main()

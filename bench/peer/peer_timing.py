#!/usr/bin/env python3
"""Times timm's NFNet once on the CPU, the way a PyTorch user would run it, and prints `RESULT {json}`.

Runs inside the userland of make-userland.sh (in-userland.sh ROOT python3 /opt/nfnet-peer/peer_timing.py ...). The
protocol is the one bench/Microsoft.ML.NFNet.Benchmarks/Speed/AnchorProtocol.cs follows for our side:
  * the model: timm.create_model(name, num_classes=1000) after torch.manual_seed(0), float32, random weights;
    torch.set_num_threads(THREADS) and one inter-op thread;
  * the input: torch.randn(batch, 3, size, size) drawn from a generator seeded 0; training labels from one seeded 1;
  * infer: eval mode under no_grad; --engine eager (plain timm), bf16 (the same under torch.autocast('cpu',
    bfloat16), as timm's --amp-dtype bfloat16 does) or ort (timm exported by torch.onnx, opset 17, run by ONNX
    Runtime's CPU provider with all graph optimisations, THREADS intra-op threads);
  * train: drop rates 0, train mode; one step = zero_grad, forward, cross-entropy, backward, timm's adaptive_clip_grad
    (λ 0.01, ε 1e-3, every parameter but head.fc), SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 2e-5 on *.weight
    only); the weights are put back (untimed) before every step so each step does the same work;
  * timing: WARMUP untimed calls, then the median (and minimum) of RUNS timed calls, in milliseconds.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import timm
from timm.utils import adaptive_clip_grad

CLASSES = 1000


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', required=True, help='timm name, e.g. dm_nfnet_f0 or eca_nfnet_l0')
    p.add_argument('--mode', choices=['infer', 'train'], required=True)
    p.add_argument('--engine', choices=['eager', 'bf16', 'ort'], default='eager')
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--size', type=int, required=True)
    p.add_argument('--runs', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--onnx-cache', default='/var/cache/nfnet-peer-onnx', help='where exported graphs are kept')
    args = p.parse_args()
    if args.mode == 'train' and args.engine != 'eager':
        p.error('training is timed with --engine eager only')
    return args


def timed(call, runs, warmup):
    """Milliseconds of each of `runs` calls after `warmup` untimed ones; `call` may return its own time instead."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        own = call()
        times.append(own if own is not None else (time.perf_counter() - start) * 1000)
    return times


def infer_eager(model, images, bf16):
    model.eval()

    def forward():
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            logits = model(images)
        assert logits.shape == (images.shape[0], CLASSES)
    return forward, {}


def infer_onnx_runtime(model, images, args):
    import onnxruntime
    model.eval()
    os.makedirs(args.onnx_cache, exist_ok=True)
    graph = os.path.join(args.onnx_cache, f'{args.model}-timm{timm.__version__}-b{args.batch}-s{args.size}.onnx')
    if not os.path.exists(graph):  # exported once per shape; written aside, then renamed, so a half file is never read
        torch.onnx.export(model, images, graph + '.part', opset_version=17, input_names=['images'],
                          output_names=['logits'], dynamo=False)
        os.replace(graph + '.part', graph)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(graph, options, providers=['CPUExecutionProvider'])
    feed = {'images': images.numpy()}
    with torch.no_grad():  # the export must score like timm itself, or its time means nothing
        expected = model(images).numpy()
    difference = float(abs(session.run(None, feed)[0] - expected).max())
    if difference > 1e-3 * float(abs(expected).max()) + 1e-5:
        raise SystemExit(f'ONNX Runtime disagrees with timm by {difference} on {graph}; delete it to export again')

    def score():
        session.run(None, feed)
    return score, {'onnxruntime': onnxruntime.__version__, 'max_abs_diff_vs_eager': difference}


def train_step(model, images):
    model.train()
    named = list(model.named_parameters())
    start_weights = [p.detach().clone() for _, p in named]
    optimizer = torch.optim.SGD(
        [{'params': [p for n, p in named if n.endswith('.weight')], 'weight_decay': 2e-5},
         {'params': [p for n, p in named if not n.endswith('.weight')], 'weight_decay': 0.0}],
        lr=0.1, momentum=0.9, nesterov=True)
    clipped = [p for n, p in named if not n.startswith('head.fc.')]
    labels = torch.randint(0, CLASSES, (images.shape[0],), generator=torch.Generator().manual_seed(1))
    losses = []

    def step():
        with torch.no_grad():  # untimed: every step starts from the same weights
            for (_, p), w in zip(named, start_weights):
                p.copy_(w)
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        adaptive_clip_grad(clipped, clip_factor=0.01, eps=1e-3)
        optimizer.step()
        losses.append(loss.item())
        return (time.perf_counter() - start) * 1000
    return step, {'losses_finite': losses}


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    drops = {'drop_rate': 0.0, 'drop_path_rate': 0.0} if args.mode == 'train' else {}
    model = timm.create_model(args.model, pretrained=False, num_classes=CLASSES, **drops)
    images = torch.randn(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
    if args.mode == 'train':
        call, extra = train_step(model, images)
    elif args.engine == 'ort':
        call, extra = infer_onnx_runtime(model, images, args)
    else:
        call, extra = infer_eager(model, images, bf16=args.engine == 'bf16')
    times = timed(call, args.runs, args.warmup)
    if 'losses_finite' in extra:
        losses = extra.pop('losses_finite')
        assert all(abs(x) < 1e9 for x in losses), f'the training loss diverged: {losses}'
    result = {'model': args.model, 'mode': args.mode, 'engine': args.engine, 'batch': args.batch, 'size': args.size,
              'threads': args.threads, 'torch': torch.__version__, 'timm': timm.__version__,
              'median_ms': round(statistics.median(times), 1), 'min_ms': round(min(times), 1), 'runs': len(times),
              'warmup': args.warmup,
              'peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **extra}
    print('RESULT ' + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()

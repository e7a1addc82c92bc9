using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>Eval-mode forward latency of a real variant, with and without the cached standardized weights.</summary>
internal static class InferenceBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(string variant, int batch, int resolution, int warmup, int runs,
        ScalarType? computeType = null, WeightCacheMode weightCache = WeightCacheMode.Both)
    {
        var config = NFNetConfig.Variant(variant);
        PeakMemory.Reset();
        using var model = new NFNetModel(config, numClasses: 1000) { ComputeType = computeType };
        model.eval();
        using var images = randn(batch, 3, resolution, resolution);
        bool[] cacheSettings = weightCache switch
        {
            WeightCacheMode.On => [true],
            WeightCacheMode.Off => [false],
            _ => [true, false],
        };
        // Cached and uncached runs alternate on one model, so memory state and machine load affect both alike.
        var times = cacheSettings.ToDictionary(cached => cached, _ => new List<double>());
        for (var i = 0; i < warmup + runs; i++)
        {
            foreach (var cached in cacheSettings)
            {
                var elapsed = Timing.Measure(() =>
                {
                    if (!cached)
                        model.InvalidateWeightCache();
                    using var scope = NewDisposeScope();
                    using var _ = inference_mode();
                    model.forward(images);
                }, warmup: 0, runs: 1)[0];
                if (i >= warmup)
                    times[cached].Add(elapsed);
            }
        }
        var peak = PeakMemory.PeakMiB();
        // What the cache saves per forward pass (shown when both are measured): standardizing every conv's weights.
        var convs = model.modules().OfType<ScaledStdConv2d>().ToArray();
        var standardize = weightCache == WeightCacheMode.Both
            ? Timing.Measure(() =>
            {
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                // Each result freed at once, as in a forward pass, so the allocator reuses memory instead of faulting in more.
                foreach (var conv in convs)
                    conv.StandardizedWeight().Dispose();
            }, warmup, runs)
            : null;
        foreach (var cached in cacheSettings)
        {
            var median = Timing.Median(times[cached]);
            var notes = (cached, standardize) switch
            {
                (true, { } saved) => $"weight cache on (saves standardizing {convs.Length} convs: median {Timing.Median(saved):F1} ms)",
                (true, null) => "weight cache on",
                _ => "weight cache off",
            };
            yield return new BenchmarkResult(config.Name, "inference", "cpu", batch, resolution, runs, median, times[cached].Min(),
                batch * 1000.0 / median, peak, notes) { WeightCache = cached };
        }
    }
}

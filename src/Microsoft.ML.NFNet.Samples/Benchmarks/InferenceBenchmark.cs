using Microsoft.ML.NFNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>Eval-mode forward latency of a real variant (random weights, random input).</summary>
internal static class InferenceBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(string variant, int batch, int resolution, int warmup, int runs,
        NFNetPrecision precision = NFNetPrecision.Float32)
    {
        var config = NFNetConfig.Variant(variant);
        PeakMemory.Reset();
        using var model = new NFNetModel(config, numClasses: 1000) { InferencePrecision = precision };
        model.eval();
        using var images = randn(batch, 3, resolution, resolution);
        var times = Timing.Measure(() =>
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            model.forward(images);
        }, warmup, runs);
        var median = Timing.Median(times);
        yield return new BenchmarkResult(config.Name, "inference", "cpu", batch, resolution, runs, median, times.Min(),
            batch * 1000.0 / median, PeakMemory.PeakMiB(), "");
    }
}

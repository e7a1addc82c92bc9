using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Scoring latency of a real variant (random weights, the protocol's input): the eval-mode forward on TorchSharp
/// as <c>NFNetModelParameters</c> runs it (through its <c>ScoringNetwork</c>: frozen weights, softmax, and the thread
/// count its tuner chooses under load; with <c>--no-freeze</c> the bare forward, weights standardized every pass), or
/// ONNX Runtime on the model exported in memory as <c>NFNetScoringEngine.OnnxRuntime</c> runs it (the same
/// <c>ScoringNetwork</c>, its intra-op threads tuned the same way).</summary>
internal static class InferenceBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(BenchFigure figure, SpeedSettings settings)
    {
        var config = NFNetConfig.Variant(figure.Variant);
        PeakMemory.Reset();
        var model = AnchorProtocol.CreateModel(figure.Variant, forTraining: false);
        model.InferencePrecision = settings.Precision;
        model.eval();
        // The scoring size is the figure's: ONNX Runtime's export takes its fixed input size from it.
        using var network = new ScoringNetwork(model, new ImagePreprocessingOptions { EvalImageSize = figure.Size }, "benchmark"); // owns the model now
        if (!settings.Freeze)
            model.Unfreeze();
        if (settings.Engine == BenchEngine.OnnxRuntime)
            network.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        using var images = AnchorProtocol.Images(figure.Batch, figure.Size);
        var times = settings.Freeze || settings.Engine == BenchEngine.OnnxRuntime
            ? Timing.Measure(() => network.RunPreprocessed(images, NetworkOutput.Probabilities), settings.Warmup, settings.Runs)
            : Timing.Measure(() =>
            {
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                model.forward(images);
            }, settings.Warmup, settings.Runs);
        var notes = settings.Engine == BenchEngine.OnnxRuntime
            ? $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} (NFNetScoringEngine.OnnxRuntime)"
            : settings.Freeze ? "TorchSharp, as NFNetModelParameters scores" : "TorchSharp, weights standardized every pass";
        var median = Timing.Median(times);
        yield return new BenchmarkResult(config.Name, "inference", "cpu", figure.Batch, figure.Size, settings.Runs, median,
            times.Min(), figure.Batch * 1000.0 / median, PeakMemory.PeakMiB(), notes)
        {
            Engine = SpeedSettings.NameOf(settings.Engine),
            Frozen = settings.Engine == BenchEngine.TorchSharp ? settings.Freeze : null,
        };
    }
}

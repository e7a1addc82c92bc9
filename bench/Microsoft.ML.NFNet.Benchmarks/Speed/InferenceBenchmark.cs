using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Scoring latency of a real variant (random weights, the protocol's input): the eval-mode forward on TorchSharp
/// as <c>NFNetModelParameters</c> runs it (through its <c>ScoringNetwork</c>: frozen weights, softmax, and the thread
/// count its tuner chooses under load; with <c>--no-freeze</c> the bare forward, weights standardized every pass), or
/// ONNX Runtime on the model exported in memory as <c>NFNetScoringEngine.OnnxRuntime</c> runs it.</summary>
internal static class InferenceBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(BenchFigure figure, SpeedSettings settings)
    {
        var config = NFNetConfig.Variant(figure.Variant);
        PeakMemory.Reset();
        var model = AnchorProtocol.CreateModel(figure.Variant, forTraining: false);
        model.InferencePrecision = settings.Precision;
        model.eval();
        using var network = new ScoringNetwork(model, new ImagePreprocessingOptions(), "benchmark"); // owns the model now
        if (!settings.Freeze)
            model.Unfreeze();
        using var images = AnchorProtocol.Images(figure.Batch, figure.Size);
        double[] times;
        string notes;
        if (settings.Engine == BenchEngine.OnnxRuntime)
        {
            using var session = OpenSession(model, figure.Size, settings.Threads);
            using var input = OrtValue.CreateTensorValueFromMemory(images.data<float>().ToArray(), images.shape);
            using var runOptions = new RunOptions();
            times = Timing.Measure(() =>
            {
                using var outputs = session.Run(runOptions, [NFNetOnnxExporter.InputName], [input], [NFNetOnnxExporter.ProbabilitiesName]);
            }, settings.Warmup, settings.Runs);
            notes = $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} (NFNetScoringEngine.OnnxRuntime)";
        }
        else
        {
            times = settings.Freeze
                ? Timing.Measure(() => network.RunPreprocessed(images, NetworkOutput.Probabilities), settings.Warmup, settings.Runs)
                : Timing.Measure(() =>
                {
                    using var scope = NewDisposeScope();
                    using var _ = inference_mode();
                    model.forward(images);
                }, settings.Warmup, settings.Runs);
            notes = settings.Freeze ? "TorchSharp, as NFNetModelParameters scores" : "TorchSharp, weights standardized every pass";
        }
        var median = Timing.Median(times);
        yield return new BenchmarkResult(config.Name, "inference", "cpu", figure.Batch, figure.Size, settings.Runs, median,
            times.Min(), figure.Batch * 1000.0 / median, PeakMemory.PeakMiB(), notes)
        {
            Engine = SpeedSettings.NameOf(settings.Engine),
            Frozen = settings.Engine == BenchEngine.TorchSharp ? settings.Freeze : null,
        };
    }

    /// <summary>The session <c>NFNetScoringEngine.OnnxRuntime</c> opens: the export in memory, all graph optimizations,
    /// sequential, the given intra-op threads and one inter-op thread.</summary>
    private static InferenceSession OpenSession(NFNetModel model, int size, int threads)
    {
        var onnx = NFNetOnnxExporter.ExportToBytes(model,
            new NFNetOnnxExportOptions { InputHeight = size, InputWidth = size, IncludeFeatures = false });
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        return new InferenceSession(onnx, options);
    }
}

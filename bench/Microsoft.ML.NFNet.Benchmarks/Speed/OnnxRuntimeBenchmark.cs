using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// Eval-mode scoring of one randomly initialised variant by TorchSharp and by ONNX Runtime on the
/// exported graph (all graph optimizations, <c>threads</c> intra-op threads), runs interleaved so machine load affects
/// both alike. Also reports how far the two engines' probabilities are apart.
/// </summary>
internal static class OnnxRuntimeBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(string variant, int batch, int resolution, int warmup, int runs, int threads)
    {
        var config = NFNetConfig.Variant(variant);
        using var model = AnchorProtocol.CreateModel(variant, forTraining: false);
        // TorchSharp as NFNetModelParameters scores: frozen for scoring.
        model.FreezeForScoring();
        var path = Path.Combine(Path.GetTempPath(), $"nfnet-bench-{Guid.NewGuid():N}.onnx");
        try
        {
            var exportMs = Timing.Measure(() => model.ExportOnnx(path,
                new NFNetOnnxExportOptions { InputHeight = resolution, InputWidth = resolution, IncludeFeatures = false }), warmup: 0, runs: 1)[0];
            var fileMiB = new FileInfo(path).Length / (1024.0 * 1024.0);
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
            using var session = new InferenceSession(path, options);
            using var images = AnchorProtocol.Images(batch, resolution);
            var pixels = images.data<float>().ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(pixels, images.shape);
            using var runOptions = new RunOptions();

            float[] OnnxRuntime()
            {
                using var outputs = session.Run(runOptions, [NFNetOnnxExporter.InputName], [input], [NFNetOnnxExporter.ProbabilitiesName]);
                return outputs[0].GetTensorDataAsSpan<float>().ToArray();
            }
            float[] TorchSharp()
            {
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                return model.forward(images).softmax(1).data<float>().ToArray();
            }

            var maxDiff = TorchSharp().Zip(OnnxRuntime(), (a, b) => Math.Abs(a - b)).Max();
            var torchTimes = new List<double>();
            var onnxTimes = new List<double>();
            for (var i = 0; i < warmup + runs; i++)
            {
                var torchMs = Timing.Measure(() => TorchSharp(), warmup: 0, runs: 1)[0];
                var onnxMs = Timing.Measure(() => OnnxRuntime(), warmup: 0, runs: 1)[0];
                if (i < warmup)
                    continue;
                torchTimes.Add(torchMs);
                onnxTimes.Add(onnxMs);
            }
            var torchMedian = Timing.Median(torchTimes);
            var onnxMedian = Timing.Median(onnxTimes);
            yield return new BenchmarkResult(config.Name, "scoring", "cpu", batch, resolution, runs, torchMedian, torchTimes.Min(),
                batch * 1000.0 / torchMedian, null, $"TorchSharp, {threads} threads, frozen for scoring");
            yield return new BenchmarkResult(config.Name, "scoring", "cpu", batch, resolution, runs, onnxMedian, onnxTimes.Min(),
                batch * 1000.0 / onnxMedian, null,
                $"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {threads} intra-op threads, all optimizations: " +
                $"{torchMedian / onnxMedian:F2}× TorchSharp's speed; max |Δ probability| {maxDiff:E1}; " +
                $"export {exportMs / 1000:F1} s, {fileMiB:F0} MiB");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

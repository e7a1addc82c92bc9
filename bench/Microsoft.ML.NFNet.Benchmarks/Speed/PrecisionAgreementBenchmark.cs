using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// How far bfloat16 scoring is from float32 on real images: the sample's 300 Fashion-MNIST test images scored by one
/// <c>NFNetModelParameters</c> with <c>InferencePrecision</c> float32, then bfloat16; reports the top-1 agreement, the
/// largest probability difference and the time per image of each. The model is a saved zip (<c>--model</c>, e.g. the
/// sample's trained nfnet_tiny) or the variant randomly initialised with its gains perturbed and its classifier sharpened
/// (× 20) as the export tests do, because a fresh NFNet is the identity in every block and scores near-uniformly.
/// </summary>
internal static class PrecisionAgreementBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(BenchFigure figure, SpeedSettings settings, string? modelZip)
    {
        var mlContext = new MLContext(seed: 0);
        var images = ScoringModels.TestImages(300).Select(r => (ReadOnlyMemory<byte>)r.ImageSource).ToArray();
        NFNetModelParameters parameters;
        if (modelZip is not null)
            parameters = NFNetModelParameters.FindIn(mlContext.Model.Load(modelZip, out _))
                ?? throw new InvalidOperationException($"'{modelZip}' holds no NFNet model.");
        else
            parameters = new NFNetModelParameters(mlContext, Sharpened(AnchorProtocol.CreateModel(figure.Variant, forTraining: false)),
                new ImagePreprocessingOptions { ImageSize = figure.Size }, labels: null, training: null);

        float[][] Score(NFNetPrecision precision, out double msPerImage)
        {
            parameters.InferencePrecision = precision;
            parameters.PredictProbabilities(images.Take(figure.Batch).ToArray(), figure.Batch); // warm-up
            var start = Stopwatch.GetTimestamp();
            var scores = parameters.PredictProbabilities(images, figure.Batch);
            msPerImage = Stopwatch.GetElapsedTime(start).TotalMilliseconds / images.Length;
            return scores;
        }
        var fp32 = Score(NFNetPrecision.Float32, out var fp32Ms);
        var bf16 = Score(NFNetPrecision.BFloat16, out var bf16Ms);
        static int ArgMax(float[] p) => Array.IndexOf(p, p.Max());
        var agreement = fp32.Zip(bf16).Count(pair => ArgMax(pair.First) == ArgMax(pair.Second)) / (double)images.Length;
        var maxDifference = fp32.Zip(bf16).Max(pair => pair.First.Zip(pair.Second).Max(v => Math.Abs(v.First - v.Second)));
        var meanTop = fp32.Average(p => p.Max());
        var extra = new Dictionary<string, double>
        {
            ["images"] = images.Length,
            ["top1_agreement"] = agreement,
            ["max_abs_probability_difference"] = maxDifference,
            ["mean_top_probability_fp32"] = meanTop,
            ["fp32_ms_per_image"] = fp32Ms,
            ["bf16_ms_per_image"] = bf16Ms,
        };
        var source = modelZip is null ? $"{figure.Variant}, random init (perturbed gains, classifier × 20)" : Path.GetFileName(modelZip);
        yield return new BenchmarkResult(parameters.Architecture.Name, "bf16-agreement", "cpu", figure.Batch,
            parameters.Preprocessing.EvalImageSize ?? parameters.Preprocessing.ImageSize ?? figure.Size, 1, bf16Ms, bf16Ms,
            1000.0 / bf16Ms, PeakMemory.PeakMiB(),
            $"{source}: bf16 top-1 = fp32 top-1 on {agreement:P1} of {images.Length} test images, max |Δp| {maxDifference:G3} " +
            $"(mean top p {meanTop:F3}); {fp32Ms:F1} → {bf16Ms:F1} ms/image")
        { Engine = SpeedSettings.NameOf(BenchEngine.TorchSharp), Precision = "bf16-vs-fp32", Extra = extra };
        parameters.Model.Dispose();
    }

    private static NFNetModel Sharpened(NFNetModel model)
    {
        var generator = new Generator(1);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith("skipinit_gain", StringComparison.Ordinal)
                    || (name.EndsWith(".gain", StringComparison.Ordinal) && parameter.abs().max().item<float>() == 0))
                    parameter.copy_(rand(parameter.shape, generator: generator) * 0.8 + 0.2);
                else if (name.EndsWith(".gain", StringComparison.Ordinal))
                    parameter.mul_(rand(parameter.shape, generator: generator) + 0.5);
            }
            model.Classifier.weight!.mul_(20);
        }
        return model;
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>Pretrained-looking weights for the transfer-learning tests: small networks whose every parameter matters.</summary>
internal static class PretrainedTestFiles
{
    /// <summary><c>nfnet_tiny</c> with random weights, gains scaled by U(0.5, 1.5) and biases shifted by N(0, 0.1), so
    /// that no parameter sits at its initial value.</summary>
    public static NFNetModel Tiny(int classes, int seed)
    {
        manual_seed(seed);
        var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), classes);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith(".gain", StringComparison.Ordinal))
                    // timm starts conv3's gain at 0 without skip gains; a trained network's is not.
                    parameter.mul_(rand_like(parameter).add_(0.5)).add_(rand_like(parameter).mul_(0.8).add_(0.2).mul_(parameter.eq(0)));
                else if (name.EndsWith(".bias", StringComparison.Ordinal))
                    parameter.add_(randn_like(parameter).mul_(0.1));
            }
        }
        model.eval();
        return model;
    }

    /// <summary>Saves <see cref="Tiny"/> weights into <paramref name="folder"/> and returns the file.</summary>
    public static string SaveTiny(TempFolder folder, int classes, int seed, string name = "pretrained.safetensors")
    {
        using var model = Tiny(classes, seed);
        var path = folder.File(name);
        model.SaveWeights(path);
        return path;
    }

    /// <summary>Every tensor of a safetensors file.</summary>
    public static Dictionary<string, Tensor> Read(string path) => Safetensors.Load(path);

    /// <summary>Options that fine-tune on the 32 px test images in seconds.</summary>
    public static NFNetImageClassificationTrainer.Options FineTune(string pretrained, NFNetTrainableParts parts, int epochs = 2,
        double learningRate = 0.05)
    {
        var options = TestImages.FastOptions();
        options.PretrainedWeights = pretrained;
        options.Training = options.Training with
        {
            Epochs = epochs,
            Optimizer = new() { LearningRate = learningRate, WarmupEpochs = 0 },
            TrainableParts = parts,
        };
        return options;
    }

    /// <summary>The labelled test images with keys in first-appearance order (red, green, blue).</summary>
    public static IDataView Keyed(MLContext mlContext, int perClass, int seed, bool alphabeticalKeys = false)
    {
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass, seed));
        var toKey = mlContext.Transforms.Conversion.MapValueToKey("Label",
            keyOrdinality: alphabeticalKeys ? Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue
                : Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence);
        return toKey.Fit(data).Transform(data);
    }
}

/// <summary>Tensors by name, disposed together.</summary>
internal sealed class TensorSet(Dictionary<string, Tensor> values) : IDisposable
{
    public Dictionary<string, Tensor> Values { get; } = values;

    public void Dispose()
    {
        foreach (var tensor in Values.Values)
            tensor.Dispose();
    }
}

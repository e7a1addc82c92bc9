using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>Models and inputs for the export tests, and temporary ONNX paths.</summary>
internal static class ExportTestModels
{
    /// <summary>
    /// A freshly initialised model whose gains, skip gains and biases are perturbed the way the timm fixtures' are, so
    /// that no block is the identity (timm's init zeroes conv3.gain or skipinit_gain) and every parameter matters; the
    /// classifier is sharpened (× 20) so the probabilities are far from uniform and a small error shows in them.
    /// </summary>
    public static NFNetModel Random(NFNetConfig config, int classes, int seed)
    {
        torch.manual_seed(seed);
        var model = new NFNetModel(config, classes);
        var generator = new Generator((ulong)seed + 1);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith("skipinit_gain") || (name.EndsWith(".gain") && parameter.abs().max().item<float>() == 0))
                    parameter.copy_(rand(parameter.shape, generator: generator) * 0.8 + 0.2);
                else if (name.EndsWith(".gain"))
                    parameter.mul_(rand(parameter.shape, generator: generator) + 0.5);
                else if (name.EndsWith(".bias"))
                    parameter.add_(randn(parameter.shape, generator: generator) * 0.1);
            }
            model.Classifier.weight!.mul_(20);
        }
        model.eval();
        return model;
    }

    /// <summary>Normal(0, 1) images, as normalised pixels roughly are.</summary>
    public static Tensor Images(int batch, int height, int width, int seed) =>
        randn([batch, 3, height, width], generator: new Generator((ulong)seed));

    /// <summary>Our own eval-mode probabilities and pooled features.</summary>
    public static (Tensor Probabilities, Tensor Features) Score(NFNetModel model, Tensor images)
    {
        using var _ = no_grad();
        var outputs = model.ForwardIntermediates(images);
        return (outputs["logits"].softmax(1), outputs["features"]);
    }

    /// <summary>A fresh path in a per-test temporary folder (deleted by <see cref="TemporaryFolder.Dispose"/>).</summary>
    public static TemporaryFolder TemporaryFolder() => new();
}

internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nfnet-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

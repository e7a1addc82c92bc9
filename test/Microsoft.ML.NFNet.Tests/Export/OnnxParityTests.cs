using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>ONNX Runtime scores an exported model as our eval-mode forward pass does (and as timm does, on its fixtures).</summary>
[TestClass]
public class OnnxParityTests
{
    private const double ProbabilityTolerance = 1e-4;
    private const double FeatureTolerance = 1e-4;

    [TestMethod]
    [DataRow("forward_dm_a", DisplayName = "timm fixture, DeepMind layout (GELU, γ in activations, SAME padding, skip gains, SE)")]
    [DataRow("forward_l0_b", DisplayName = "timm fixture, timm light layout (SiLU, γ in convs, symmetric padding, SE 0.25)")]
    public void FixtureMatchesOursAtBatch1And8AndNonSquare(string fixture)
    {
        var sidecar = FixtureSidecar.Read(fixture);
        using var model = sidecar.CreateModel();
        model.eval();
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { DynamicImageSize = true });
        using var onnx = new OnnxRuntimeScorer(path);

        foreach (var (batch, height, width) in new[] { (1, 64, 64), (8, 64, 64), (2, 48, 80), (1, 80, 48) })
            AssertSameOutputs(model, onnx, ExportTestModels.Images(batch, height, width, seed: batch * height + width),
                $"{fixture} [{batch}, 3, {height}, {width}]");
    }

    [TestMethod]
    [DataRow("forward_dm_a")]
    [DataRow("forward_l0_b")]
    public void FixtureMatchesTimmReferenceLogits(string fixture)
    {
        // The stored timm outputs are an outside reference: ONNX Runtime's softmax of the graph equals softmax of timm's logits.
        var sidecar = FixtureSidecar.Read(fixture);
        using var model = sidecar.CreateModel();
        using var folder = ExportTestModels.TemporaryFolder();
        foreach (var ioFile in sidecar.InputFiles)
        {
            var reference = Safetensors.Load(Fixtures.PathOf(ioFile));
            var input = reference["input"];
            var path = folder.File($"{ioFile}.onnx");
            model.ExportOnnx(path, new NFNetOnnxExportOptions { InputHeight = (int)input.shape[2], InputWidth = (int)input.shape[3] });
            using var onnx = new OnnxRuntimeScorer(path);
            var outputs = onnx.Run(input);
            TensorAssert.Close(reference["logits"].softmax(1), outputs[NFNetOnnxExporter.ProbabilitiesName], ProbabilityTolerance, $"{ioFile} probabilities vs timm");
            TensorAssert.Close(reference["features"], outputs[NFNetOnnxExporter.FeaturesName], FeatureTolerance, $"{ioFile} features vs timm");
        }
    }

    [TestMethod]
    public void EcaLightLayoutMatchesOurs()
    {
        // nfnet_tiny is timm's light layout with efficient channel attention (the fixtures use squeeze-excite).
        using var model = ExportTestModels.Random(NFNetConfig.Variant("nfnet_tiny"), classes: 7, seed: 11);
        AssertExportMatches(model, "nfnet_tiny (ECA)");
    }

    [TestMethod]
    public void DeepMindLayoutWithoutFinalConvMatchesOurs()
    {
        using var model = ExportTestModels.Random(TinyConfigs.DeepMind with { NumFeatures = 0, ExtraConv = false }, classes: 5, seed: 12);
        AssertExportMatches(model, "tiny DeepMind, no final conv, no conv2b");
    }

    [TestMethod]
    [DataRow(NFNetActivation.GeluTanh, NFNetAttention.None)]
    [DataRow(NFNetActivation.Relu, NFNetAttention.EfficientChannel)]
    [DataRow(NFNetActivation.Relu6, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.LeakyRelu, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Elu, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Celu, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Selu, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Tanh, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Sigmoid, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Softplus, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Softsign, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.LogSigmoid, NFNetAttention.SqueezeExcite)]
    [DataRow(NFNetActivation.Identity, NFNetAttention.SqueezeExcite)]
    public void EveryActivationAndAttentionMatchesOurs(NFNetActivation activation, NFNetAttention attention)
    {
        using var model = ExportTestModels.Random(TinyConfigs.DeepMind with { Activation = activation, Attention = attention }, classes: 4, seed: 13);
        AssertExportMatches(model, $"{activation}, {attention}");
    }

    private static void AssertExportMatches(NFNetModel model, string what)
    {
        using var folder = ExportTestModels.TemporaryFolder();
        var square = folder.File("square.onnx");
        var wide = folder.File("wide.onnx");
        model.ExportOnnx(square, new NFNetOnnxExportOptions { InputHeight = 64, InputWidth = 64 });
        model.ExportOnnx(wide, new NFNetOnnxExportOptions { InputHeight = 48, InputWidth = 80 });
        using (var onnx = new OnnxRuntimeScorer(square))
        {
            AssertSameOutputs(model, onnx, ExportTestModels.Images(1, 64, 64, seed: 1), $"{what} batch 1");
            AssertSameOutputs(model, onnx, ExportTestModels.Images(8, 64, 64, seed: 2), $"{what} batch 8");
        }
        using (var onnx = new OnnxRuntimeScorer(wide))
            AssertSameOutputs(model, onnx, ExportTestModels.Images(2, 48, 80, seed: 3), $"{what} 48×80");
    }

    private static void AssertSameOutputs(NFNetModel model, OnnxRuntimeScorer onnx, Tensor images, string what)
    {
        var (probabilities, features) = ExportTestModels.Score(model, images);
        var outputs = onnx.Run(images);
        // The probabilities must not be flat, or the comparison would prove little.
        Assert.IsTrue(probabilities.max().item<float>() - probabilities.min().item<float>() > 1e-3, $"{what}: our probabilities are flat");
        TensorAssert.Close(probabilities, outputs[NFNetOnnxExporter.ProbabilitiesName], ProbabilityTolerance, $"{what} probabilities");
        TensorAssert.Close(features, outputs[NFNetOnnxExporter.FeaturesName], FeatureTolerance, $"{what} features");
    }
}

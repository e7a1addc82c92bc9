using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public class MixedPrecisionTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void BFloat16ComputeTracksFloat32AndKeepsFloat32MasterGradients(bool light)
    {
        manual_seed(11);
        using var model = new NFNetModel(light ? TinyConfigs.Light : TinyConfigs.DeepMind, numClasses: 4);
        using var x = randn(2, 3, 64, 64);
        Tensor reference;
        using (no_grad())
            reference = model.ForwardFeatures(x);

        model.TrainingPrecision = NFNetPrecision.BFloat16; // a fresh module is in train mode
        Assert.AreEqual(ScalarType.BFloat16, model.ForwardFeatureMap(x).dtype, "activations run in bfloat16");
        var features = model.ForwardFeatures(x);
        Assert.AreEqual(ScalarType.Float32, features.dtype, "pooling runs in float32");
        // bfloat16 keeps 8 bits of mantissa: expect agreement to a few percent of the feature scale.
        TensorAssert.CloseRelativeToMax(reference, features.to(float32), 0.05, "bf16 vs fp32 features");

        var logits = model.forward(x);
        Assert.AreEqual(ScalarType.Float32, logits.dtype, "logits come out in float32");
        logits.sum().backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.AreEqual(ScalarType.Float32, p.dtype, $"{name} stays float32");
            Assert.IsNotNull(p.grad, $"{name} gets a gradient");
            Assert.AreEqual(ScalarType.Float32, p.grad!.dtype, $"{name} gradient is float32");
        }
    }
}

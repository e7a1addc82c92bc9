using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary><see cref="NFNetModel.FreezeForScoring"/>: standardized weights computed once give the outputs of standardizing
/// on every pass, and never outlive the weights they were computed from.</summary>
[TestClass]
public class FrozenScoringTests
{
    [TestMethod]
    [DataRow("forward_dm_a")]
    [DataRow("forward_l0_b")]
    public void FrozenModelMatchesTimmAndTheUnfrozenModelExactly(string fixture)
    {
        var sidecar = FixtureSidecar.Read(fixture);
        using var model = sidecar.CreateModel();
        model.eval();
        var reference = Safetensors.Load(Fixtures.PathOf(sidecar.InputFiles[0]));
        using var _ = no_grad();
        using var unfrozen = model.forward(reference["input"]);

        model.FreezeForScoring();
        Assert.IsTrue(model.IsFrozenForScoring);
        using var frozen = model.forward(reference["input"]);
        TensorAssert.Identical(unfrozen, frozen, "frozen vs per-pass standardization (same kernels, same order)");
        TensorAssert.Close(reference["logits"], frozen, 1e-4, $"{fixture}: frozen model vs timm's logits");
    }

    [TestMethod]
    public void TrainModeReleasesAndLoadingWeightsRecomputes()
    {
        var sidecar = FixtureSidecar.Read("forward_l0_b");
        using var model = sidecar.CreateModel();
        using var x = randn([2, 3, 64, 64], generator: new Generator(3));
        model.FreezeForScoring();

        model.train();
        Assert.IsFalse(model.IsFrozenForScoring, "train mode releases the frozen weights");
        using (no_grad())
            foreach (var p in model.parameters())
                p.mul_(0.5); // weights change while not frozen
        model.eval();
        using var _ = no_grad();
        using var expected = model.forward(x);
        model.FreezeForScoring();
        TensorAssert.Identical(expected, model.forward(x), "frozen after the change");

        // Loading weights while frozen recomputes the frozen weights from the loaded ones.
        model.LoadWeights(sidecar.WeightsPath);
        Assert.IsTrue(model.IsFrozenForScoring);
        using var fresh = sidecar.CreateModel();
        fresh.eval();
        TensorAssert.Identical(fresh.forward(x), model.forward(x), "frozen weights follow LoadWeights");
    }

    [TestMethod]
    public void ChangingInferencePrecisionRefreezesInTheNewFormat()
    {
        manual_seed(5);
        using var model = new NFNetModel(TinyConfigs.Light, numClasses: 4);
        model.eval();
        using var x = randn(2, 3, 64, 64);
        model.InferencePrecision = NFNetPrecision.BFloat16;
        using var _ = no_grad();
        using var perPass = model.forward(x);

        model.FreezeForScoring();
        TensorAssert.Identical(perPass, model.forward(x), "bf16: weights standardized in fp32 then cast, once or per pass");
        model.InferencePrecision = NFNetPrecision.Float32;
        Assert.IsTrue(model.IsFrozenForScoring);
        model.Unfreeze();
        using var fp32 = model.forward(x);
        model.FreezeForScoring();
        TensorAssert.Identical(fp32, model.forward(x), "back to fp32");
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>Which parameters and units AGC clips in an NFNet, and that the classifier really is left alone.</summary>
[TestClass]
public class AgcClippingSetTests
{
    [TestMethod]
    public void TimmLeavesOutTheClassifierWeightAndBias()
    {
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel();

        var clipped = AgcClippingSet.Of(model);

        var expected = model.named_parameters().Select(np => np.name).Where(n => !n.StartsWith("head.fc.", StringComparison.Ordinal));
        CollectionAssert.AreEqual(expected.ToList(), clipped.Select(p => p.Name).ToList());
        Assert.IsFalse(clipped.Any(p => p.IsSingleUnit));
        Assert.AreEqual(fixture.Steps[0].UnitsTotal, clipped.Sum(p => p.Units), "units as timm counts them");
    }

    [TestMethod]
    public void DeepMindClipsTheClassifierBiasAndTreatsEachGainAsOneUnit()
    {
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel();
        fixture.SetRawGradients(model, 1);
        var raw = model.named_parameters().ToDictionary(np => np.name, np => np.parameter.grad!.clone());

        var clipped = AgcClippingSet.Of(model, AgcConvention.DeepMind);
        AdaptiveGradientClipping.Apply(clipped, fixture.ClipFactor, fixture.ClipEps);

        var names = clipped.Select(p => p.Name).ToList();
        CollectionAssert.DoesNotContain(names, "head.fc.weight");
        CollectionAssert.Contains(names, "head.fc.bias");
        var gains = clipped.Where(p => p.Name.EndsWith(".gain", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(model.modules().OfType<ScaledStdConv2d>().Count(), gains.Count);
        Assert.IsTrue(gains.All(g => g.IsSingleUnit && g.Units == 1), "each gain vector is one unit");
        Assert.IsTrue(clipped.Except(gains).All(p => !p.IsSingleUnit));

        var current = model.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        TensorAssert.Identical(raw["head.fc.weight"], current["head.fc.weight"].grad!, "head.fc.weight gradient");
        Assert.IsFalse(raw["head.fc.bias"].eq(current["head.fc.bias"].grad!).all().item<bool>(), "head.fc.bias was clipped");
        foreach (var parameter in gains.Append(clipped.Single(p => p.Name == "head.fc.bias")))
        {
            // One norm for the whole tensor: G·min(1, λ·max(‖W‖, ε)/‖G‖).
            var g = raw[parameter.Name];
            var maxNorm = fixture.ClipFactor * Math.Max(parameter.Parameter.norm().item<float>(), fixture.ClipEps);
            var expected = g * Math.Min(1.0, maxNorm / g.norm().item<float>());
            TensorAssert.CloseRelativeToMax(expected, parameter.Parameter.grad!, 1e-6, parameter.Name, 1e-12);
        }
        Assert.IsTrue(gains.Any(g => !fixture[$"step1/grad_clipped/{g.Name}"].allclose(g.Parameter.grad!, rtol: 1e-3)),
            "clipping a gain as one unit differs from timm's per-element clipping");
    }

    [TestMethod]
    [DataRow(nameof(AgcConvention.Timm))]
    [DataRow(nameof(AgcConvention.DeepMind))]
    public void TheWrapperLeavesTheClassifierGradientBitIdentical(string conventionName)
    {
        var convention = Enum.Parse<AgcConvention>(conventionName);
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel();
        fixture.SetRawGradients(model, 1);
        var weight = model.Classifier.weight;
        using var before = weight.grad!.clone();
        using var optimizer = new AgcOptimizer(new InPlaceSgd(model.parameters(), 0.1), AgcClippingSet.Of(model, convention));

        optimizer.ClipGradients();

        TensorAssert.Identical(before, weight.grad!, "head.fc.weight gradient");
        // The check has teeth: clipped like the rest, this gradient would change.
        AdaptiveGradientClipping.Apply([weight], fixture.ClipFactor, fixture.ClipEps);
        Assert.IsFalse(before.eq(weight.grad!).all().item<bool>(), "AGC would have clipped the classifier");
    }

    [TestMethod]
    public void StatisticsCountWithoutClippingWhatHasNoGradient()
    {
        using var model = new NFNetModel(TinyConfigs.DeepMind, 10);
        using var statistics = new AgcStatistics();

        AdaptiveGradientClipping.Apply(AgcClippingSet.Of(model), statistics: statistics);

        Assert.AreEqual(0, statistics.UnitsTotal);
        Assert.AreEqual(0, statistics.UnitsClipped);
        Assert.AreEqual(0, statistics.ClippedFraction);
    }

    [TestMethod]
    public void RejectsAClipFactorThatIsNotPositive()
    {
        using var p = new TorchSharp.Modules.Parameter(ones(2, 2));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => AdaptiveGradientClipping.Apply([p], clipFactor: 0));
        Assert.AreEqual("clipFactor", error.ParamName);
    }
}

namespace Microsoft.ML.NFNet.Tests.Optimization;

[TestClass]
public class NFNetOptimizerOptionsTests
{
    [TestMethod]
    public void DefaultsAreDeepMindsRecipe()
    {
        var options = NFNetTrainingOptions.DeepMindImageNet.Optimizer;
        options.Validate();

        Assert.AreEqual(NFNetOptimizerKind.Sgd, options.Optimizer);
        Assert.AreEqual((0.9, true, 2e-5), (options.Momentum, options.Nesterov, options.WeightDecay));
        Assert.AreEqual((0.01, 1e-3), (options.ClippingFactor, options.ClippingEps));
        Assert.AreEqual(5, options.WarmupEpochs);
        Assert.IsTrue(options.ClipsGradients);
        Assert.AreEqual(1.6, options.PeakLearningRate(4096), 1e-15);
        Assert.AreEqual(0.05, (options with { LearningRate = 0.05, ScaleLearningRateWithBatchSize = false }).PeakLearningRate(4096));
        Assert.AreEqual(0.99999, options.EmaDecay);
        var defaults = new NFNetOptimizerOptions();
        defaults.Validate();
        Assert.IsNull(defaults.LearningRate, "automatic by default");
        Assert.IsNull(defaults.WarmupEpochs, "automatic by default");
        Assert.IsNull(defaults.ClippingFactor, "automatic by default");
        Assert.AreEqual(0.01, defaults.ResolvedClippingFactor, "DeepMind's λ where no rule chose one");
        Assert.AreEqual((0.9, true, 2e-5), (defaults.Momentum, defaults.Nesterov, defaults.WeightDecay));
    }

    [TestMethod]
    public void ZeroClippingFactorTurnsAgcOff()
    {
        Assert.IsFalse(new NFNetOptimizerOptions { ClippingFactor = 0 }.ClipsGradients);
        Assert.IsTrue(new NFNetOptimizerOptions().ClipsGradients, "AGC is on by default");
    }

    public static IEnumerable<object[]> InvalidOptions() =>
    [
        [new NFNetOptimizerOptions { LearningRate = 0 }, nameof(NFNetOptimizerOptions.LearningRate)],
        [new NFNetOptimizerOptions { LearningRate = double.NaN }, nameof(NFNetOptimizerOptions.LearningRate)],
        [new NFNetOptimizerOptions { Momentum = 1 }, nameof(NFNetOptimizerOptions.Momentum)],
        [new NFNetOptimizerOptions { Momentum = 0 }, nameof(NFNetOptimizerOptions.Momentum)],
        [new NFNetOptimizerOptions { WeightDecay = -1e-5 }, nameof(NFNetOptimizerOptions.WeightDecay)],
        [new NFNetOptimizerOptions { ClippingFactor = -0.01 }, nameof(NFNetOptimizerOptions.ClippingFactor)],
        [new NFNetOptimizerOptions { ClippingEps = double.NaN }, nameof(NFNetOptimizerOptions.ClippingEps)],
        [new NFNetOptimizerOptions { WarmupEpochs = -1 }, nameof(NFNetOptimizerOptions.WarmupEpochs)],
        [new NFNetOptimizerOptions { WarmupSteps = -1 }, nameof(NFNetOptimizerOptions.WarmupSteps)],
        [new NFNetOptimizerOptions { EmaDecay = 1 }, nameof(NFNetOptimizerOptions.EmaDecay)],
        [new NFNetOptimizerOptions { Optimizer = (NFNetOptimizerKind)7 }, nameof(NFNetOptimizerOptions.Optimizer)],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidOptions))]
    public void ValidationNamesTheSettingOutOfRange(NFNetOptimizerOptions options, string setting)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        Assert.AreEqual(setting, error.ParamName);
    }

    [TestMethod]
    public void PlainSgdNeedsNoMomentum()
    {
        new NFNetOptimizerOptions { Momentum = 0, Nesterov = false }.Validate();
    }
}

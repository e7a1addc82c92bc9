using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>The step-driven recipe: schedule, AGC, update and EMA in order; checkpoints.</summary>
[TestClass]
public class NFNetOptimizerTests
{
    private static readonly NFNetOptimizerOptions Recipe = new()
    {
        LearningRate = 0.1, ScaleLearningRateWithBatchSize = true, WarmupSteps = 2, EmaDecay = 0.999,
    };

    [TestMethod]
    public void FollowsTheScheduleStepByStep()
    {
        using var training = new TinyTraining();
        using var optimizer = NFNetOptimizer.Create(training.Model, Recipe, batchSize: 4, stepsPerEpoch: 2, totalSteps: 6);
        Assert.IsInstanceOfType<InPlaceSgd>(optimizer.UpdateRule);
        Assert.IsInstanceOfType<AgcOptimizer>(optimizer.TorchOptimizer);
        Assert.AreEqual(0.1 * 4 / 256, optimizer.Schedule.PeakLearningRate, 1e-15);
        var before = training.Snapshot();

        // The first update has learning rate 0: parameters stay, momentum and EMA advance.
        Step(training, optimizer);
        foreach (var (name, parameter) in training.Model.named_parameters())
            TensorAssert.Identical(before[name], parameter, name);
        Assert.AreEqual(1, optimizer.StepsDone);
        Assert.AreEqual(1, optimizer.Ema!.Updates);
        Assert.IsTrue(optimizer.ClippingStatistics!.UnitsTotal > 0);

        Assert.AreEqual(optimizer.Schedule.LearningRateAt(1), optimizer.LearningRate);
        Step(training, optimizer);
        Assert.IsTrue(optimizer.UpdateRule.ParamGroups.All(g => g.LearningRate == optimizer.Schedule.LearningRateAt(1)));
        Assert.IsFalse(before.First().Value.eq(training.Model.parameters().First()).all().item<bool>(), "the second update moves the parameters");
    }

    [TestMethod]
    public void WithoutClippingTheOptimizerIsTheUpdateRuleAlone()
    {
        using var training = new TinyTraining();
        var options = Recipe with { ClippingFactor = 0, Optimizer = NFNetOptimizerKind.AdamW, EmaDecay = null };
        using var optimizer = NFNetOptimizer.Create(training.Model, options, 4, 2, 6);

        Assert.AreSame(optimizer.UpdateRule, optimizer.TorchOptimizer);
        Assert.IsInstanceOfType<TorchSharp.Modules.AdamW>(optimizer.UpdateRule);
        Assert.IsNull(optimizer.ClippingStatistics);
        Assert.IsNull(optimizer.Ema);
        Step(training, optimizer);
    }

    [TestMethod]
    public void ACheckpointResumesWithIdenticalSteps()
    {
        using var training = new TinyTraining();
        using var optimizer = NFNetOptimizer.Create(training.Model, Recipe, 4, 2, 8);
        for (var i = 0; i < 3; i++)
            Step(training, optimizer);
        var weights = training.Snapshot();
        using var checkpoint = new MemoryStream();
        optimizer.Save(checkpoint);
        for (var i = 0; i < 2; i++)
            Step(training, optimizer);
        var expected = training.Snapshot();
        var expectedEma = optimizer.Ema!.Averages.ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        training.Restore(weights);
        using var resumed = NFNetOptimizer.Create(training.Model, Recipe, 4, 2, 8);
        checkpoint.Position = 0;
        resumed.Load(checkpoint);
        Assert.AreEqual(3, resumed.StepsDone);
        for (var i = 0; i < 2; i++)
            Step(training, resumed);

        foreach (var (name, parameter) in training.Model.named_parameters())
        {
            TensorAssert.Identical(expected[name], parameter, name);
            TensorAssert.Identical(expectedEma[name], resumed.Ema!.Averages[name], $"EMA {name}");
        }
    }

    [TestMethod]
    public void ACheckpointWithoutEmaIsRejectedByAnOptimizerWithOne()
    {
        using var training = new TinyTraining();
        using var withoutEma = NFNetOptimizer.Create(training.Model, Recipe with { EmaDecay = null }, 4, 2, 8);
        using var withEma = NFNetOptimizer.Create(training.Model, Recipe, 4, 2, 8);
        using var checkpoint = new MemoryStream();
        withoutEma.Save(checkpoint);
        checkpoint.Position = 0;

        Assert.ThrowsExactly<InvalidDataException>(() => withEma.Load(checkpoint));
    }

    [TestMethod]
    public void AWarmupLongerThanTheTrainingIsCutToIt()
    {
        using var training = new TinyTraining();
        using var optimizer = NFNetOptimizer.Create(training.Model, NFNetTrainingOptions.DeepMindImageNet.Optimizer, 4, stepsPerEpoch: 10, totalSteps: 30);
        Assert.AreEqual(30, optimizer.Schedule.WarmupSteps);
    }

    private static void Step(TinyTraining training, NFNetOptimizer optimizer)
    {
        optimizer.ZeroGrad();
        training.LossAndBackward();
        optimizer.Step();
    }
}

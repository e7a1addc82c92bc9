using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>The AGC wrapper around TorchSharp optimizers: step order, learning rates, state round trip.</summary>
[TestClass]
public class AgcOptimizerTests
{
    [TestMethod]
    [DataRow(nameof(InPlaceSgd))]
    [DataRow(nameof(AdamW))]
    public void TrainsATinyModel(string updater)
    {
        using var training = new TinyTraining();
        using var optimizer = Create(training.Model, updater);
        var losses = new List<float>();
        for (var step = 0; step < 6; step++)
        {
            optimizer.zero_grad();
            losses.Add(training.LossAndBackward());
            optimizer.step();
        }
        for (var i = 1; i < losses.Count; i++)
            Assert.IsTrue(losses[i] < losses[i - 1], $"the loss falls on a fixed batch: {string.Join(", ", losses)}");
        Assert.IsTrue(optimizer.Statistics.UnitsTotal > 0);
    }

    [TestMethod]
    public void StepClipsBeforeTheUpdateAndRunsTheClosureFirst()
    {
        using var training = new TinyTraining();
        using var optimizer = Create(training.Model, nameof(AdamW));
        optimizer.zero_grad();

        using var loss = optimizer.step(() => { var l = training.LossAndBackward(); return tensor(l); });

        Assert.IsNotNull(loss);
        Assert.AreEqual(AgcClippingSet.Of(training.Model).Sum(p => p.Units), optimizer.Statistics.UnitsTotal,
            "the closure's gradients were clipped");
    }

    [TestMethod]
    public void SetsTheLearningRateOfEveryGroupOfTheWrappedOptimizer()
    {
        using var training = new TinyTraining();
        using var optimizer = Create(training.Model, nameof(InPlaceSgd));

        optimizer.SetLearningRate(0.25);

        Assert.AreEqual(2, optimizer.Inner.ParamGroups.Count());
        Assert.IsTrue(optimizer.Inner.ParamGroups.All(g => g.LearningRate == 0.25));
    }

    [TestMethod]
    [DataRow(nameof(InPlaceSgd))]
    [DataRow(nameof(AdamW))]
    public void SavedStateReproducesTheFollowingStepsExactly(string updater)
    {
        using var training = new TinyTraining();
        using var optimizer = Create(training.Model, updater);
        Steps(training, optimizer, 2);
        var checkpoint = training.Snapshot();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        Steps(training, optimizer, 2);
        var expected = training.Snapshot();

        training.Restore(checkpoint);
        using var resumed = Create(training.Model, updater);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream))
            resumed.load_state_dict(reader);
        Steps(training, resumed, 2);

        foreach (var (name, parameter) in training.Model.named_parameters())
            TensorAssert.Identical(expected[name], parameter, name);
    }

    [TestMethod]
    public void StateOfAnotherOptimizerTypeIsRejected()
    {
        using var training = new TinyTraining();
        using var sgd = Create(training.Model, nameof(InPlaceSgd));
        using var adamW = Create(training.Model, nameof(AdamW));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            sgd.save_state_dict(writer);
        stream.Position = 0;

        using var reader = new BinaryReader(stream);
        Assert.ThrowsExactly<InvalidDataException>(() => adamW.load_state_dict(reader));
    }

    private static AgcOptimizer Create(NFNetModel model, string updater)
    {
        var groups = WeightDecayGroups.Of(model);
        OptimizerHelper inner = updater == nameof(InPlaceSgd)
            ? new InPlaceSgd(groups.ToSgdGroups(0.05, 0.9, nesterov: true, 2e-5), 0.05, 0.9, nesterov: true)
            : optim.AdamW(groups.ToAdamWGroups(3e-3, 1e-4));
        return new AgcOptimizer(inner, AgcClippingSet.Of(model), clipFactor: 0.02);
    }

    private static void Steps(TinyTraining training, AgcOptimizer optimizer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            optimizer.zero_grad();
            training.LossAndBackward();
            optimizer.step();
        }
    }
}

using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

[TestClass]
public class ExponentialMovingAverageTests
{
    [TestMethod]
    public void DecayWarmsUpLikeTf1()
    {
        Assert.AreEqual(0.1, ExponentialMovingAverage.DecayAt(0.99999, 0), 1e-15);
        Assert.AreEqual(11.0 / 20, ExponentialMovingAverage.DecayAt(0.99999, 10), 1e-15);
        Assert.AreEqual(0.9, ExponentialMovingAverage.DecayAt(0.9, 80), 1e-15, "(1+80)/(10+80) = 0.9");
        Assert.AreEqual(0.9, ExponentialMovingAverage.DecayAt(0.9, 1000), 1e-15);
    }

    [TestMethod]
    public void UpdateMixesTheParametersIn()
    {
        using var layer = nn.Linear(3, 2);
        using var ema = new ExponentialMovingAverage(layer, 0.5);
        using var start = layer.weight.detach().clone();
        using (no_grad())
            layer.weight.add_(1.0);

        ema.Update(); // d = min(0.5, 1/10) = 0.1
        ema.Update(); // d = min(0.5, 2/11)

        var first = start * 0.1 + layer.weight.detach() * 0.9;
        var d = 2.0 / 11;
        var second = first * d + layer.weight.detach() * (1 - d);
        TensorAssert.Close(second, ema.Averages["weight"], 1e-6, "average after two updates");
        Assert.AreEqual(2, ema.Updates);
    }

    [TestMethod]
    public void ConvergesToConstantParameters()
    {
        using var layer = nn.Linear(4, 4);
        using var ema = new ExponentialMovingAverage(layer, 0.99);
        using (no_grad())
            layer.weight.mul_(-3).add_(2);

        var gaps = new List<double>();
        for (var step = 0; step < 2000; step++)
        {
            ema.Update();
            gaps.Add((ema.Averages["weight"] - layer.weight).abs().max().item<float>());
        }
        for (var i = 1; i < gaps.Count; i++)
            Assert.IsTrue(gaps[i] <= gaps[i - 1] + 1e-6, "the gap never grows beyond float32 rounding");
        Assert.IsTrue(gaps[^1] < 1e-5, $"converged: {gaps[^1]:E2}");
    }

    [TestMethod]
    public void SwapInPutsTheAverageIntoTheModelUntilDisposed()
    {
        using var training = new TinyTraining();
        var model = training.Model;
        model.eval();
        using var ema = new ExponentialMovingAverage(model, 0.9);
        using (no_grad())
            foreach (var p in model.parameters())
                p.add_(0.01);
        ema.Update();
        var raw = training.Snapshot();
        var average = ema.Averages.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var copy = new NFNetModel(TinyConfigs.DeepMind, 4);
        copy.eval();
        ema.CopyTo(copy);
        using var _ = no_grad();
        using var averageLogits = copy.forward(training.Images);
        using var rawLogits = model.forward(training.Images); // fills the eval-mode weight cache

        using (ema.SwapIn())
        {
            foreach (var (name, parameter) in model.named_parameters())
                TensorAssert.Identical(average[name], parameter, $"{name} swapped in");
            TensorAssert.Identical(averageLogits, model.forward(training.Images), "logits with the average (cache refreshed)");
            Assert.ThrowsExactly<InvalidOperationException>(ema.Update, "no update while swapped in");
        }

        foreach (var (name, parameter) in model.named_parameters())
            TensorAssert.Identical(raw[name], parameter, $"{name} restored");
        TensorAssert.Identical(rawLogits, model.forward(training.Images), "logits restored");
    }

    [TestMethod]
    public void StateRoundTrips()
    {
        using var training = new TinyTraining();
        using var ema = new ExponentialMovingAverage(training.Model, 0.999);
        for (var i = 0; i < 3; i++)
        {
            using (no_grad())
                training.Model.parameters().First().add_(0.1);
            ema.Update();
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            ema.Save(writer);

        using var restored = new ExponentialMovingAverage(training.Model, 0.999);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream))
            restored.Load(reader);

        Assert.AreEqual(ema.Updates, restored.Updates);
        ema.Update();
        restored.Update();
        foreach (var (name, average) in ema.Averages)
            TensorAssert.Identical(average, restored.Averages[name], name);
    }

    [TestMethod]
    public void RejectsADecayOutsideTheOpenUnitInterval()
    {
        using var layer = nn.Linear(2, 2);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(layer, 1.0));
    }
}

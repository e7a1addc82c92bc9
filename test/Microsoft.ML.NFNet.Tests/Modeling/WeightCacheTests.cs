using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public class WeightCacheTests
{
    [TestMethod]
    public void CachedInferenceIsBitIdenticalToUncached()
    {
        manual_seed(1);
        using var model = new NFNetModel(TinyConfigs.DeepMind, numClasses: 5);
        model.eval();
        using var x = randn(2, 3, 64, 64);

        Tensor uncached;
        using (enable_grad()) // gradients enabled: the standardized weights are recomputed every time
            uncached = model.forward(x).detach();
        using var _ = no_grad();
        var first = model.forward(x);   // fills the cache
        var second = model.forward(x);  // uses it

        TensorAssert.Identical(uncached, first, "uncached vs first cached forward");
        TensorAssert.Identical(first, second, "two cached forwards");
        Assert.IsTrue(CachedConvCount(model) > 0, "eval + no_grad caches the standardized weights");
    }

    [TestMethod]
    public void InferenceModeUsesTheCacheToo()
    {
        manual_seed(4);
        using var model = new NFNetModel(TinyConfigs.DeepMind, numClasses: 5);
        model.eval();
        using var x = randn(1, 3, 64, 64);
        using var _ = inference_mode();
        var first = model.forward(x);
        Assert.IsTrue(CachedConvCount(model) > 0, "inference_mode fills the cache");
        TensorAssert.Identical(first, model.forward(x), "cached forward");
    }

    [TestMethod]
    public void OptimizerStepInvalidatesTheCache()
    {
        manual_seed(2);
        using var model = new NFNetModel(TinyConfigs.DeepMind, numClasses: 5);
        model.eval();
        using var x = randn(2, 3, 64, 64);
        Tensor before;
        using (no_grad())
            before = model.forward(x);

        // A training step while the model stays in eval mode: gradients on, then SGD changes every conv weight.
        using var optimizer = optim.SGD(model.parameters(), 0.5);
        model.forward(x).square().sum().backward();
        optimizer.step();

        Tensor after, fresh;
        using (no_grad())
            after = model.forward(x);
        using (enable_grad())
            fresh = model.forward(x).detach();
        TensorAssert.Identical(fresh, after, "after the step, eval output equals a from-scratch computation");
        Assert.IsFalse(before.eq(after).all().item<bool>(), "the update changed the output");
    }

    [TestMethod]
    public void LoadWeightsAndTrainModeInvalidateTheCache()
    {
        manual_seed(3);
        using var model = new NFNetModel(TinyConfigs.DeepMind, numClasses: 5);
        using var other = new NFNetModel(TinyConfigs.DeepMind, numClasses: 5);
        var path = Path.Combine(Path.GetTempPath(), $"nfnet-cache-{Guid.NewGuid():N}.safetensors");
        try
        {
            other.SaveWeights(path);
            model.eval();
            other.eval();
            using var x = randn(1, 3, 64, 64);
            using var _ = no_grad();
            var stale = model.forward(x);
            model.LoadWeights(path);
            TensorAssert.Identical(other.forward(x), model.forward(x), "after LoadWeights");
            Assert.IsFalse(stale.eq(model.forward(x)).all().item<bool>(), "the loaded weights differ from the initial ones");

            model.train();
            Assert.AreEqual(0, CachedConvCount(model), "train() drops the cache");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int CachedConvCount(NFNetModel model) =>
        model.modules().OfType<ScaledStdConv2d>().Count(c => c.HasCachedWeight);
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public class TinyVariantTests
{
    [TestMethod]
    public void TinyIsSmallAndUsesOnlyFullChannelBlocks()
    {
        using var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), numClasses: 10, device: META);
        var parameters = model.parameters().Sum(p => p.numel());
        Assert.IsTrue(parameters is > 500_000 and < 3_000_000, $"{parameters:N0} parameters");
        foreach (var conv in model.modules().OfType<ScaledStdConv2d>().Where(c => c.InChannels != 3))
            Assert.IsTrue(conv.InChannels % 16 == 0 && conv.OutChannels % 16 == 0, $"{conv.InChannels}->{conv.OutChannels}");
    }
}

[TestClass]
public class ResetClassifierTests
{
    [TestMethod]
    public void NewHeadHasTheNewClassCountAndKeepsTheBackbone()
    {
        using var model = new NFNetModel(TinyConfigs.DeepMind, numClasses: 10);
        var stem = model.state_dict()["stem.conv1.weight"].clone();
        model.ResetClassifier(3);
        Assert.AreEqual(3, model.NumClasses);
        CollectionAssert.AreEqual(new long[] { 3, model.NumFeatures }, model.state_dict()["head.fc.weight"].shape);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, model.forward(randn(2, 3, 64, 64)).shape);
        TensorAssert.Identical(stem, model.state_dict()["stem.conv1.weight"], "backbone untouched");
        CollectionAssert.Contains(AgcClippingSet.Of(model).Select(p => p.Parameter.Handle).ToList(), model.state_dict()["stages.0.0.conv1.weight"].Handle);
        Assert.IsFalse(AgcClippingSet.Of(model).Any(p => p.Parameter.Handle == model.Classifier.weight.Handle), "the new head is excluded from AGC");
    }
}

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

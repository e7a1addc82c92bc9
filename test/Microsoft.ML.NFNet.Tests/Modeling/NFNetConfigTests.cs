using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public class NFNetConfigTests
{
    [TestMethod]
    [DataRow("F0", "F0")]
    [DataRow("f0", "F0")]
    [DataRow("dm_nfnet_f0", "F0")]
    [DataRow("DM_NFNET_F3", "F3")]
    [DataRow("F0+", "F0+")]
    [DataRow("f7+", "F7+")]
    [DataRow("nfnet_l0", "nfnet_l0")]
    [DataRow("ECA_NFNET_L0", "eca_nfnet_l0")]
    public void VariantNamesAreCaseInsensitiveWithAliases(string requested, string canonical) =>
        Assert.AreEqual(canonical, NFNetConfig.Variant(requested).Name);

    [TestMethod]
    public void DeepMindVariantsFollowTheDepthRuleAndTable()
    {
        int[] train = [192, 224, 256, 320, 384, 416, 448, 480];
        double[] dropout = [0.2, 0.3, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5];
        for (var k = 0; k < 8; k++)
        {
            var f = NFNetConfig.Variant($"F{k}");
            CollectionAssert.AreEqual(new[] { k + 1, 2 * (k + 1), 6 * (k + 1), 3 * (k + 1) }, f.Depths.ToArray());
            Assert.AreEqual(train[k], f.TrainImageSize);
            Assert.AreEqual(dropout[k], f.DropRate);
            Assert.IsTrue(f.GammaInActivation && f.SamePadding && f.SkipInit);
            CollectionAssert.AreEqual(new[] { 384, 768, 2048, 2048 }, NFNetConfig.Variant($"F{k}+").Channels.ToArray());
        }
    }

    [TestMethod]
    public void UnknownVariantListsTheKnownOnes()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => NFNetConfig.Variant("F9"));
        StringAssert.Contains(error.Message, "F9");
        StringAssert.Contains(error.Message, "eca_nfnet_l0");
        StringAssert.Contains(error.Message, "F7+");
    }

    [TestMethod]
    public void FromTimmJsonReadsTheFixtureConfig()
    {
        var json = File.ReadAllText(Fixtures.PathOf("forward_l0_b.json"));
        var nfCfg = JsonDocument.Parse(json).RootElement.GetProperty("nf_cfg").GetRawText();
        var config = NFNetConfig.FromTimmJson(nfCfg);

        CollectionAssert.AreEqual(new[] { 1, 2, 3, 1 }, config.Depths.ToArray());
        CollectionAssert.AreEqual(new[] { 3, 6, 12, 24 }, config.StemChannels.ToArray(), "deep_quad: c/8, c/4, c/2, c");
        Assert.AreEqual(NFNetActivation.Silu, config.Activation);
        Assert.AreEqual(NFNetAttention.SqueezeExcite, config.Attention);
        Assert.AreEqual(0.25, config.AttentionRatio);
        Assert.IsFalse(config.GammaInActivation);
        Assert.AreEqual(config, NFNetConfig.FromTimmJson(json), "a whole sidecar reads the same");
    }

    [TestMethod]
    public void FromTimmJsonRejectsWhatItCannotBuild()
    {
        Assert.ThrowsExactly<NotSupportedException>(() => NFNetConfig.FromTimmJson(
            """{"depths":[1],"channels":[8],"stem_type":"7x7_pool","group_size":8}"""));
        Assert.ThrowsExactly<NotSupportedException>(() => NFNetConfig.FromTimmJson(
            """{"depths":[1],"channels":[8],"group_size":8,"stem_type":"deep_quad","act_layer":"mish"}"""));
        Assert.ThrowsExactly<JsonException>(() => NFNetConfig.FromTimmJson("""{"channels":[8]}"""));
    }

    [TestMethod]
    public void JsonRoundTripPreservesEveryField()
    {
        foreach (var name in NFNetConfig.KnownVariants)
        {
            var config = NFNetConfig.Variant(name);
            Assert.AreEqual(config, NFNetConfig.FromJson(config.ToJson()), name);
        }
    }

    [TestMethod]
    public void ValidationNamesTheBadField()
    {
        var bad = NFNetConfig.Variant("F0") with { Channels = [256, 512] };
        var error = Assert.ThrowsExactly<ArgumentException>(bad.Validate);
        StringAssert.Contains(error.Message, "Channels");
        var narrow = NFNetConfig.Variant("F0") with { GroupSize = 4096 };
        error = Assert.ThrowsExactly<ArgumentException>(() => new NFNetModel(narrow, 10));
        StringAssert.Contains(error.Message, "GroupSize");
    }

    [TestMethod]
    public void LayoutBetasFollowTheExpectedVarianceRule()
    {
        // The F0 per-block β column, derived from DeepMind's nfnets code (β = 1 / expected std of the block input).
        double[] expected = [1.000000, 0.980581, 0.980581, 0.962250, 0.980581, 0.962250, 0.944911, 0.928477, 0.912871, 0.898027, 0.980581, 0.962250];
        var blocks = NFNetLayout.Blocks(NFNetConfig.Variant("F0"));
        CollectionAssert.AreEqual(expected, blocks.Select(b => Math.Round(b.Beta, 6)).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1 }, blocks.Select(b => b.Stride).ToArray());
        Assert.AreEqual(0.25, blocks[^1].DropPathRate, 1e-12, "timm: linspace(0, rate, N) ends at the rate");
    }
}

using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>An NFNetConfig written as timm's NfCfg fields reads back as the same network.</summary>
[TestClass]
public class TimmConfigWriterTests
{
    [TestMethod]
    public void EveryPublishedVariantRoundTripsThroughNfCfg()
    {
        foreach (var name in NFNetConfig.KnownVariants.Where(n => !n.EndsWith('+') && n != "nfnet_tiny"))
        {
            var config = NFNetConfig.Variant(name);
            var (fields, stem) = TimmConfigWriter.Write(config);
            Assert.IsNull(stem, $"{name}: timm's deep-quad stem describes it");
            var read = NFNetConfig.FromTimmJson(fields.ToJsonString());
            Assert.AreEqual(Architecture(config), Architecture(read), name);
        }
    }

    [TestMethod]
    public void TheFieldsAreTimmsOwnForEcaNfnetL0()
    {
        // timm nfnet.py: eca_nfnet_l0=_nfnet_cfg(depths=(1, 2, 6, 3), feat_mult=1.5, group_size=64, bottle_ratio=0.25,
        // attn_layer='eca', attn_kwargs=dict(), act_layer='silu'), with _nfnet_cfg's stem_chs=128 and extra_conv=True.
        var (fields, _) = TimmConfigWriter.Write(NFNetConfig.Variant("eca_nfnet_l0"));
        using var json = JsonDocument.Parse(fields.ToJsonString());
        var root = json.RootElement;
        CollectionAssert.AreEqual(new[] { 1, 2, 6, 3 }, root.GetProperty("depths").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        CollectionAssert.AreEqual(new[] { 256, 512, 1536, 1536 }, root.GetProperty("channels").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.AreEqual("deep_quad", root.GetProperty("stem_type").GetString());
        Assert.AreEqual(128, root.GetProperty("stem_chs").GetInt32());
        Assert.AreEqual(64, root.GetProperty("group_size").GetInt32());
        Assert.AreEqual(0.25, root.GetProperty("bottle_ratio").GetDouble());
        Assert.AreEqual(2304, root.GetProperty("num_features").GetInt32());
        Assert.AreEqual("eca", root.GetProperty("attn_layer").GetString());
        Assert.AreEqual(0, root.GetProperty("attn_kwargs").EnumerateObject().Count());
        Assert.AreEqual("silu", root.GetProperty("act_layer").GetString());
        Assert.IsTrue(root.GetProperty("extra_conv").GetBoolean());
        Assert.IsFalse(root.GetProperty("gamma_in_act").GetBoolean());
        Assert.IsFalse(root.GetProperty("skipinit").GetBoolean());
        Assert.AreEqual(21, root.EnumerateObject().Count(), "every field of timm's NfCfg dataclass");
    }

    [TestMethod]
    public void AStemTimmCannotDescribeIsReturnedSeparately()
    {
        var tiny = NFNetConfig.Variant("nfnet_tiny");
        var (fields, stem) = TimmConfigWriter.Write(tiny);
        CollectionAssert.AreEqual(new[] { 16, 32, 32, 64 }, stem?.ToArray(), "timm's deep_quad stem would be 8, 16, 32, 64");
        var read = NFNetConfig.FromTimmJson(fields.ToJsonString()) with { StemChannels = stem!.ToArray() };
        Assert.AreEqual(Architecture(tiny), Architecture(read), "everything else is NfCfg's");
    }

    [TestMethod]
    public void TanhGeluHasNoTimmCounterpart()
    {
        var error = Assert.ThrowsExactly<NotSupportedException>(() => TimmConfigWriter.Write(TinyConfigs.Light with { Activation = NFNetActivation.GeluTanh }));
        StringAssert.Contains(error.Message, "GeluTanh");
    }

    // What changes the network: not the name, the drop rates or the recommended resolutions.
    private static NFNetConfig Architecture(NFNetConfig config) =>
        config with { Name = "x", DropRate = 0, DropPathRate = 0, TrainImageSize = 1, TestImageSize = 1 };
}

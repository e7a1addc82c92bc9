using System.Text.Json;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>
/// Issue 20, item 3: every architecture is bounded (stages, blocks, channels, parameters) by arithmetic in
/// <see cref="NFNetConfig.Validate"/>, before anything is built; the parameter count it bounds is timm's own.
/// </summary>
[TestClass]
public class ArchitectureBoundsTests
{
    private static readonly Lazy<JsonElement> Counts = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("param_counts.json"))).RootElement.GetProperty("models"));

    [TestMethod]
    public void TheComputedParameterCountIsTimmsForEveryVariantItLists()
    {
        foreach (var model in Counts.Value.EnumerateObject())
            Assert.AreEqual(model.Value.GetProperty("total").GetInt64(),
                ArchitectureBounds.ParameterCount(NFNetConfig.Variant(model.Name), classCount: 1000), model.Name);
    }

    [TestMethod]
    public void TheComputedParameterCountIsTheBuiltModelsForCustomArchitectures()
    {
        var configs = new[]
        {
            TinyConfigs.DeepMind, TinyConfigs.Light, NFNetConfig.Variant("nfnet_tiny"),
            TinyConfigs.DeepMind with { ExtraConv = false, SkipInit = false, NumFeatures = 0, Depths = [2, 1, 3, 1] },
            TinyConfigs.Light with { Attention = NFNetAttention.None, WidthFactor = 1.5, BottleneckRatio = 0.25, GroupSize = 12 },
            TinyConfigs.DeepMind with { Depths = [1, 2], Channels = [24, 40], AttentionRatio = 0.3, AttentionDivisor = 4 },
        };
        foreach (var config in configs)
        {
            using var model = new NFNetModel(config, numClasses: 7, device: META);

            Assert.AreEqual(model.parameters().Sum(p => p.numel()), ArchitectureBounds.ParameterCount(config, classCount: 7), config.ToString());
        }
    }

    [TestMethod]
    public void EveryPublishedVariantIsWithinTheBounds()
    {
        foreach (var name in NFNetConfig.KnownVariants)
            NFNetConfig.Variant(name).Validate();
    }

    [TestMethod]
    [DataRow("Depths", "40,000,000 blocks in all")]
    [DataRow("Channels", "a layer of 1,000,000,000 channels")]
    [DataRow("StemChannels", "a layer of 100,000 channels")]
    [DataRow("NumFeatures", "a layer of 4,294,967,294 channels (WidthFactor 2 included)")]
    [DataRow("BottleneckRatio", "a layer of 32,000,000 channels")]
    [DataRow("AttentionRatio", "a layer of 32,000,000 channels")]
    [DataRow("Stages", "9 stages")]
    [DataRow("Parameters", "parameters; at most 5,000,000,000")]
    public void AnAbsurdArchitectureIsRefusedNamingTheField(string what, string expected)
    {
        var tiny = TinyConfigs.DeepMind;
        var config = what switch
        {
            "Depths" => tiny with { Depths = [10_000_000, 10_000_000, 10_000_000, 10_000_000] },
            "Channels" => tiny with { Channels = [1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000] },
            "StemChannels" => tiny with { StemChannels = [8, 16, 16, 100_000] },
            "NumFeatures" => tiny with { NumFeatures = int.MaxValue, WidthFactor = 2 },
            "BottleneckRatio" => tiny with { BottleneckRatio = 1_000_000 },
            "AttentionRatio" => tiny with { AttentionRatio = 1_000_000 },
            "Stages" => tiny with { Depths = Enumerable.Repeat(1, 9).ToArray(), Channels = Enumerable.Repeat(32, 9).ToArray() },
            _ => tiny with { Depths = [250, 250, 250, 250], Channels = [16_384, 16_384, 16_384, 16_384], GroupSize = 128 },
        };
        var field = what switch { "Stages" or "Parameters" => "Depths", _ => what };

        var e = Assert.ThrowsExactly<ArgumentException>(config.Validate);

        Assert.AreEqual(field, e.ParamName);
        StringAssert.Contains(e.Message, $"Invalid NFNetConfig.{field}:");
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void TimmsNfCfgErrorsNameTheFieldOfTheFile()
    {
        string NfCfg(string depths, string channels) =>
            $$"""{"depths": {{depths}}, "channels": {{channels}}, "group_size": 8, "attn_layer": "se", "stem_type": "deep_quad"}""";

        var depths = Assert.ThrowsExactly<ArgumentException>(() =>
            NFNetConfig.FromTimmJson(NfCfg("[10000000, 10000000, 10000000, 10000000]", "[64, 128, 256, 256]")));
        var channels = Assert.ThrowsExactly<ArgumentException>(() =>
            NFNetConfig.FromTimmJson(NfCfg("[1, 1, 1, 1]", "[64, 1000000000, 256, 256]")));
        var stem = Assert.ThrowsExactly<ArgumentException>(() =>
            NFNetConfig.FromTimmJson(NfCfg("[1, 1, 1, 1]", "[1000000000, 128, 256, 256]")));
        var notAnInt = Assert.ThrowsExactly<JsonException>(() =>
            NFNetConfig.FromTimmJson(NfCfg("[1, 1, 1, 1]", "[1e10, 128, 256, 256]")));

        StringAssert.StartsWith(depths.Message, "depths: Invalid NFNetConfig.Depths: 40,000,000 blocks in all");
        StringAssert.StartsWith(channels.Message, "channels: Invalid NFNetConfig.Channels: it makes a layer of 1,000,000,000 channels");
        StringAssert.StartsWith(stem.Message, "stem_chs: (stem_chs or channels[0]) × width_factor = 1,000,000,000 channels");
        StringAssert.StartsWith(notAnInt.Message, "channels: 1e10 is not a whole number");
    }
}

using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>Parameter counts and state_dict layout against timm (param_counts.json) for every variant it lists.</summary>
[TestClass]
public class ParameterCountTests
{
    private static readonly Lazy<JsonElement> Counts = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("param_counts.json"))).RootElement);

    public static IEnumerable<object[]> TimmModels() =>
        Counts.Value.GetProperty("models").EnumerateObject().Select(m => new object[] { m.Name });

    [TestMethod]
    [DynamicData(nameof(TimmModels))]
    public void VariantMatchesTimmCounts(string timmName)
    {
        var expected = Counts.Value.GetProperty("models").GetProperty(timmName);
        var variant = NFNetConfig.Variant(timmName);
        var fromTimm = NFNetConfig.FromTimmJson(expected.GetProperty("nf_cfg").GetRawText());
        Assert.AreEqual(fromTimm with { Name = variant.Name, DropRate = variant.DropRate, DropPathRate = variant.DropPathRate,
            TrainImageSize = variant.TrainImageSize, TestImageSize = variant.TestImageSize }, variant,
            "the variant table agrees with timm's NfCfg");

        using var model = new NFNetModel(variant, numClasses: 1000, device: META);
        var parameters = model.named_parameters().ToList();
        Assert.AreEqual(expected.GetProperty("total").GetInt64(), parameters.Sum(p => p.parameter.numel()), "total");
        Assert.AreEqual(expected.GetProperty("num_param_tensors").GetInt32(), parameters.Count, "tensor count");
        Assert.AreEqual(expected.GetProperty("num_features").GetInt32(), model.NumFeatures, "num_features");
        foreach (var group in new[] { "by_module", "by_stage" })
            foreach (var entry in expected.GetProperty(group).EnumerateObject())
                Assert.AreEqual(entry.Value.GetInt64(),
                    parameters.Where(p => p.name.StartsWith(entry.Name + ".")).Sum(p => p.parameter.numel()), $"{group} {entry.Name}");
    }

    [TestMethod]
    [DataRow("dm_nfnet_f0")]
    [DataRow("eca_nfnet_l0")]
    public void RealModuleHasTimmStateDictKeysAndShapesInOrder(string timmName)
    {
        var expected = Counts.Value.GetProperty("state_dict_shapes").GetProperty(timmName).EnumerateArray()
            .Select(e => (Name: e[0].GetString()!, Shape: e[1].EnumerateArray().Select(d => d.GetInt64()).ToArray()))
            .ToList();
        using var model = new NFNetModel(NFNetConfig.Variant(timmName), numClasses: 1000);
        var actual = model.state_dict().Select(kv => (Name: kv.Key, Shape: kv.Value.shape)).ToList();

        CollectionAssert.AreEqual(expected.Select(e => e.Name).ToList(), actual.Select(a => a.Name).ToList(), "keys in order");
        for (var i = 0; i < expected.Count; i++)
            CollectionAssert.AreEqual(expected[i].Shape, actual[i].Shape, expected[i].Name);
        Assert.IsTrue(actual.All(a => model.state_dict()[a.Name].device_type == DeviceType.CPU), "real (CPU) tensors");
    }

    /// <summary>No timm fixture exists for DeepMind's F7 and the wide variants; these are the counts re-derived from
    /// DeepMind's nfnets code (its model configurations; F7 exact; F+ given to 0.01 M).</summary>
    [TestMethod]
    [DataRow("F7", 499_504_088L, 0L)]
    [DataRow("F0+", 118_820_000L, 5_000L)]
    [DataRow("F1+", 220_360_000L, 5_000L)]
    [DataRow("F4+", 524_950_000L, 5_000L)]
    [DataRow("F7+", 829_550_000L, 5_000L)]
    public void DeepMindOnlyVariantsMatchDerivedCounts(string name, long expected, long tolerance)
    {
        using var model = new NFNetModel(NFNetConfig.Variant(name), numClasses: 1000, device: META);
        var total = model.parameters().Sum(p => p.numel());
        Assert.IsTrue(Math.Abs(total - expected) <= tolerance, $"{name}: {total:N0} parameters, expected {expected:N0} ± {tolerance:N0}");
    }
}

using System.Text.Json;
using TorchSharp;
using static Microsoft.ML.NFNet.Tests.Weights.SafetensorsTestFiles;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>The timm reference fixtures (written by Python) load with the names, shapes, dtypes and bytes they hold.</summary>
[TestClass]
public class SafetensorsFixtureTests
{
    [TestMethod]
    public void WeightsHaveTheNamesAndShapesOfTheSidecar()
    {
        using var scope = torch.NewDisposeScope();
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("forward_dm_a.json")));
        var weights = sidecar.RootElement.GetProperty("weights");
        var expected = weights.GetProperty("shapes").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());

        var loaded = Safetensors.Load(Fixtures.PathOf("forward_dm_a.weights.safetensors"));

        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), loaded.Keys.ToArray());
        foreach (var (name, shape) in expected)
        {
            CollectionAssert.AreEqual(shape, loaded[name].shape, name);
            Assert.AreEqual(torch.ScalarType.Float32, loaded[name].dtype, name);
        }
        Assert.AreEqual(weights.GetProperty("num_params").GetInt64(), loaded.Values.Sum(t => t.NumberOfElements));
    }

    [TestMethod]
    [DataRow("forward_dm_a.weights.safetensors")]
    [DataRow("forward_dm_a.io_48x80.safetensors")]
    [DataRow("train_dm_a.safetensors")]
    public void TensorsHoldTheBytesTheHeaderPointsAt(string fixture)
    {
        using var scope = torch.NewDisposeScope();
        var bytes = File.ReadAllBytes(Fixtures.PathOf(fixture));
        var (length, json) = ReadHeader(bytes);
        using var header = JsonDocument.Parse(json);
        var dataStart = 8 + (int)length;

        var loaded = Safetensors.Load(Fixtures.PathOf(fixture));

        var names = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToArray();
        Assert.HasCount(names.Length, loaded);
        foreach (var entry in names)
        {
            var offsets = entry.Value.GetProperty("data_offsets");
            var expected = bytes[(dataStart + offsets[0].GetInt32())..(dataStart + offsets[1].GetInt32())];
            CollectionAssert.AreEqual(expected, BytesOf(loaded[entry.Name]), entry.Name);
        }
    }

    [TestMethod]
    public void TrainingFixtureHasInt64LabelsAndScalarLosses()
    {
        using var scope = torch.NewDisposeScope();
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("train_dm_a.json")));
        var labels = sidecar.RootElement.GetProperty("labels");
        var expectedLabels = labels.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Assert.AreEqual("I64", labels.GetProperty("dtype").GetString());

        var loaded = Safetensors.Load(Fixtures.PathOf("train_dm_a.safetensors"));

        var actual = loaded["labels"];
        Assert.AreEqual(torch.ScalarType.Int64, actual.dtype);
        CollectionAssert.AreEqual(new long[] { expectedLabels.Length }, actual.shape);
        CollectionAssert.AreEqual(expectedLabels, actual.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 0, 2 }, expectedLabels);
        Assert.AreEqual(0, loaded["step1/loss"].dim());
        Assert.AreEqual(torch.ScalarType.Float32, loaded["step1/loss"].dtype);
        CollectionAssert.AreEqual(new long[] { 3, 3, 64, 64 }, loaded["input"].shape);
    }

    [TestMethod]
    public void MetadataOfTheFixturesIsRead()
    {
        var metadata = Safetensors.ReadMetadata(Fixtures.PathOf("train_dm_a.safetensors"));

        Assert.AreEqual("train_dm_a", metadata["fixture"]);
        Assert.AreEqual("pt", metadata["format"]);
    }

    [TestMethod]
    public void FixtureSurvivesASaveAndLoad()
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TempFolder();
        var source = Fixtures.PathOf("forward_dm_a.weights.safetensors");
        var copy = folder.File("copy.safetensors");
        var original = Safetensors.Load(source);

        Safetensors.Save(copy, original, Safetensors.ReadMetadata(source));
        var reloaded = Safetensors.Load(copy);

        CollectionAssert.AreEquivalent(Safetensors.ReadMetadata(source).ToArray(), Safetensors.ReadMetadata(copy).ToArray());
        CollectionAssert.AreEquivalent(original.Keys.ToArray(), reloaded.Keys.ToArray());
        foreach (var (name, tensor) in original)
            CollectionAssert.AreEqual(BytesOf(tensor), BytesOf(reloaded[name]), name);
    }
}

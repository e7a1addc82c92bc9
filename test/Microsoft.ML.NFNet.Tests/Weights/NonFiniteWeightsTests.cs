using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// Issue 13, items 3 and 5 for weight files: a NaN or ∞ weight is refused when loading and when saving, naming the
/// tensor, and a damaged file is one "corrupt or truncated" error naming the file.
/// </summary>
[TestClass]
public class NonFiniteWeightsTests : TempFolderTests
{
    [TestMethod]
    [DataRow(float.NaN, true)]
    [DataRow(float.PositiveInfinity, true)]
    [DataRow(float.NegativeInfinity, false)] // a timm-style file without our checksum: the finite check still applies
    public void LoadWeightsRefusesANonFiniteValueAndLeavesTheModelUnchanged(float value, bool withChecksum)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var source = new NFNetModel(TinyConfigs.Light, 3);
        var tensors = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        tensors["stages.1.0.conv2.weight"][3, 1, 0, 2].fill_(value);
        var path = folder.File("weights.safetensors");
        Safetensors.Save(path, tensors, withChecksum
            ? new Dictionary<string, string> { [Safetensors.ChecksumMetadataKey] = Safetensors.DataChecksum(tensors) }
            : null);
        manual_seed(2);
        using var target = new NFNetModel(TinyConfigs.Light, 3);
        var before = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        var e = Assert.ThrowsExactly<InvalidDataException>(() => target.LoadWeights(path));

        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "tensor 'stages.1.0.conv2.weight' holds NaN or infinite values");
        foreach (var (name, tensor) in target.state_dict())
            TensorAssert.Identical(before[name], tensor, name + " is unchanged");
    }

    [TestMethod]
    public void SaveWeightsRefusesANonFiniteParameterAndWritesNothing()
    {
        using var model = new NFNetModel(TinyConfigs.Light, 3);
        using (no_grad())
            model.state_dict()["head.fc.bias"][1].fill_(float.NaN);
        var path = folder.File("weights.safetensors");

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.SaveWeights(path));

        StringAssert.Contains(e.Message, "parameter 'head.fc.bias' holds NaN or infinite values");
        CollectionAssert.AreEqual(Array.Empty<string>(), folder.FileNames(), "no file, not even a temporary one");
    }

    [TestMethod]
    public void ATruncatedOrDamagedWeightsFileIsOneCorruptOrTruncatedErrorNamingIt()
    {
        using var model = new NFNetModel(TinyConfigs.Light, 3);
        var path = folder.File("weights.safetensors");
        model.SaveWeights(path);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.ThrowsExactly<InvalidDataException>(() => model.LoadWeights(path));
        File.WriteAllBytes(path, bytes[..6]);
        var tiny = Assert.ThrowsExactly<InvalidDataException>(() => model.LoadWeights(path));
        var flipped = (byte[])bytes.Clone();
        flipped[^100] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        var damaged = Assert.ThrowsExactly<InvalidDataException>(() => model.LoadWeights(path));

        foreach (var e in new[] { truncated, tiny })
        {
            StringAssert.Contains(e.Message, $"'{path}' is corrupt or truncated");
        }
        StringAssert.Contains(damaged.Message, $"'{path}' is corrupt: the SHA-256 of its tensor data");
    }
}

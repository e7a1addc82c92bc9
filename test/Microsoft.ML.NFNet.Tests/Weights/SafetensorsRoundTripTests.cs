using System.Text.Json;
using TorchSharp;
using static Microsoft.ML.NFNet.Tests.Weights.SafetensorsTestFiles;

namespace Microsoft.ML.NFNet.Tests.Weights;

[TestClass]
public class SafetensorsRoundTripTests : TempFolderTests
{
    [TestMethod]
    [DataRow(torch.ScalarType.Float32, "F32")]
    [DataRow(torch.ScalarType.Float16, "F16")]
    [DataRow(torch.ScalarType.BFloat16, "BF16")]
    [DataRow(torch.ScalarType.Float64, "F64")]
    [DataRow(torch.ScalarType.Int64, "I64")]
    [DataRow(torch.ScalarType.Int32, "I32")]
    [DataRow(torch.ScalarType.Int16, "I16")]
    [DataRow(torch.ScalarType.Int8, "I8")]
    [DataRow(torch.ScalarType.Byte, "U8")]
    [DataRow(torch.ScalarType.Bool, "BOOL")]
    public void EveryDtypeRoundTripsBitExactly(torch.ScalarType dtype, string fileDtype)
    {
        using var scope = torch.NewDisposeScope();
        var shapes = new Dictionary<string, long[]>
        {
            ["scalar"] = [],
            ["empty"] = [0],
            ["empty_inner"] = [3, 0, 2],
            ["vector"] = [7],
            ["matrix"] = [3, 5],
            ["conv.weight"] = [4, 3, 3, 3],
        };
        var tensors = shapes.ToDictionary(s => s.Key, s => RandomBits(dtype, s.Value, seed: s.Key.Length));
        var path = folder.File("all.safetensors");

        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path);

        CollectionAssert.AreEquivalent(tensors.Keys.ToArray(), loaded.Keys.ToArray());
        foreach (var (name, expected) in tensors)
        {
            var actual = loaded[name];
            Assert.AreEqual(DeviceType.CPU, actual.device_type, name);
            Assert.IsFalse(actual.requires_grad, name);
            AssertIdentical(expected, actual, name);
        }
        using var header = JsonDocument.Parse(ReadHeader(File.ReadAllBytes(path)).Json);
        Assert.AreEqual(fileDtype, header.RootElement.GetProperty("matrix").GetProperty("dtype").GetString());
        Assert.AreEqual(0, header.RootElement.GetProperty("scalar").GetProperty("shape").GetArrayLength());
    }

    [TestMethod]
    public void NonContiguousTensorsAreSavedAsTheirValues()
    {
        using var scope = torch.NewDisposeScope();
        var source = torch.arange(0, 48, dtype: torch.ScalarType.Float32).reshape(4, 12);
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["transposed"] = source.t(),
            ["strided"] = source.slice(1, 1, 12, 3),
            ["expanded"] = torch.tensor(new long[] { 1, 2, 3 }).expand(5, 3),
            ["channels_last"] = source.reshape(1, 3, 4, 4).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
            ["narrowed"] = source.narrow(0, 2, 2),
            ["requires_grad"] = torch.ones(2, 2, requires_grad: true),
        };
        Assert.IsFalse(tensors["transposed"].is_contiguous());
        Assert.IsFalse(tensors["strided"].is_contiguous());
        Assert.IsFalse(tensors["expanded"].is_contiguous());
        Assert.IsFalse(tensors["channels_last"].is_contiguous());
        var path = folder.File("views.safetensors");

        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path);

        foreach (var (name, expected) in tensors)
        {
            Assert.AreEqual(expected.dtype, loaded[name].dtype, name);
            CollectionAssert.AreEqual(expected.shape, loaded[name].shape, name);
            // Element-wise, so independent of the strides that the file's bytes were taken from.
            Assert.IsTrue(expected.eq(loaded[name]).all().item<bool>(), name);
        }
    }

    [TestMethod]
    public void MetadataRoundTrips()
    {
        using var scope = torch.NewDisposeScope();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["empty"] = "",
            ["quotes and \"escapes\"\n"] = "back\\slash, tab\t, unicode é ü 漢字 🙂, <html>&",
        };
        var path = folder.File("meta.safetensors");

        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["x"] = torch.ones(2) }, metadata);

        CollectionAssert.AreEquivalent(metadata.ToArray(), Safetensors.ReadMetadata(path).ToArray());
        AssertIdentical(torch.ones(2), Safetensors.Load(path)["x"]);
    }

    [TestMethod]
    public void FilesWithoutMetadataHaveEmptyMetadata()
    {
        using var scope = torch.NewDisposeScope();
        var path = folder.File("plain.safetensors");
        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["x"] = torch.ones(1) });

        Assert.IsEmpty(Safetensors.ReadMetadata(path));
        Assert.IsFalse(ReadHeader(File.ReadAllBytes(path)).Json.Contains("__metadata__"));
    }

    [TestMethod]
    public void AnEmptyDictionaryRoundTrips()
    {
        var path = folder.File("nothing.safetensors");
        Safetensors.Save(path, new Dictionary<string, torch.Tensor>());

        Assert.IsEmpty(Safetensors.Load(path));
    }

    [TestMethod]
    public void NamesKeepEveryCharacter()
    {
        using var scope = torch.NewDisposeScope();
        var names = new[] { "stages.0.0.conv1.weight", "step1/grad_raw/head.fc.weight", "spaces and \"quotes\"", "ünïcødé" };
        var path = folder.File("names.safetensors");

        Safetensors.Save(path, names.ToDictionary(n => n, _ => torch.zeros(1)));

        CollectionAssert.AreEquivalent(names, Safetensors.Load(path).Keys.ToArray());
    }

    [TestMethod]
    public void TensorsLargerThanOneCopySliceRoundTrip()
    {
        using var scope = torch.NewDisposeScope();
        // Two full slices and a partial one, in two dtypes, to cover the slice offsets on both paths.
        var floats = torch.arange(0, 2 * Safetensors.ChunkBytes / 4 + 1234, dtype: torch.ScalarType.Float32);
        var longs = torch.arange(0, Safetensors.ChunkBytes / 8 + 7, dtype: torch.ScalarType.Int64).reshape(-1, 1);
        var path = folder.File("large.safetensors");

        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["floats"] = floats, ["longs"] = longs });
        var loaded = Safetensors.Load(path);

        AssertIdentical(floats, loaded["floats"]);
        AssertIdentical(longs, loaded["longs"]);
    }

    [TestMethod]
    public void SaveWritesTheReferenceLayoutDeterministically()
    {
        using var scope = torch.NewDisposeScope();
        var b = RandomBits(torch.ScalarType.Float32, [3], seed: 1);
        var a = RandomBits(torch.ScalarType.Int64, [2, 2], seed: 2);
        var upper = RandomBits(torch.ScalarType.Float16, [1], seed: 3);
        var metadata = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" };
        var first = folder.File("first.safetensors");
        var second = folder.File("second.safetensors");

        Safetensors.Save(first, new Dictionary<string, torch.Tensor> { ["b"] = b, ["a"] = a, ["B"] = upper }, metadata);
        Safetensors.Save(second, new Dictionary<string, torch.Tensor> { ["B"] = upper, ["a"] = a, ["b"] = b },
            new Dictionary<string, string> { ["a"] = "2", ["z"] = "1" });

        var bytes = File.ReadAllBytes(first);
        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(second));
        var (length, json) = ReadHeader(bytes);
        // Padded with fewer than 8 spaces to a multiple of 8 bytes.
        Assert.AreEqual(0UL, length % 8);
        var unpadded = json.TrimEnd(' ');
        Assert.IsTrue(unpadded.EndsWith('}'));
        Assert.IsLessThan(8, json.Length - unpadded.Length);
        using var header = JsonDocument.Parse(json);
        var keys = header.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "__metadata__", "B", "a", "b" }, keys);
        var dataStart = 8 + (int)length;
        long nextBegin = 0;
        foreach (var (name, tensor) in new[] { ("B", upper), ("a", a), ("b", b) })
        {
            var offsets = header.RootElement.GetProperty(name).GetProperty("data_offsets");
            var begin = offsets[0].GetInt64();
            var end = offsets[1].GetInt64();
            Assert.AreEqual(nextBegin, begin, name);
            CollectionAssert.AreEqual(BytesOf(tensor), bytes[(dataStart + (int)begin)..(dataStart + (int)end)], name);
            nextBegin = end;
        }
        var dataLength = bytes.Length - dataStart;
        Assert.AreEqual(dataLength, nextBegin);
    }

    [TestMethod]
    public void LoadedTensorsBelongToTheCallersDisposeScope()
    {
        var path = folder.File("scoped.safetensors");
        using (var scope = torch.NewDisposeScope())
            Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["x"] = torch.ones(3), ["y"] = torch.zeros(2) });

        Dictionary<string, torch.Tensor> inScope;
        using (var scope = torch.NewDisposeScope())
        {
            inScope = Safetensors.Load(path);
            Assert.IsTrue(inScope.Values.All(t => !t.IsInvalid));
        }
        Assert.IsTrue(inScope.Values.All(t => t.IsInvalid));

        var unscoped = Safetensors.Load(path);
        Assert.AreEqual(3f, unscoped["x"].sum().item<float>());
        foreach (var tensor in unscoped.Values)
            tensor.Dispose();
    }

    [TestMethod]
    public void SaveRejectsNamesAndTensorsTheFormatCannotHold()
    {
        using var scope = torch.NewDisposeScope();
        var path = folder.File("rejected.safetensors");
        var ok = torch.ones(1);

        Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, torch.Tensor> { [""] = ok }));
        var reserved = Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["__metadata__"] = ok }));
        Assert.Contains("__metadata__", reserved.Message);
        var nullTensor = Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["x"] = null! }));
        Assert.Contains("'x'", nullTensor.Message);
        var complex = Assert.ThrowsExactly<ArgumentException>(() =>
            Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["ok"] = ok, ["c"] = torch.zeros(2, dtype: torch.ScalarType.ComplexFloat32) }));
        Assert.Contains("'c'", complex.Message);
        Assert.ThrowsExactly<ArgumentException>(() =>
            Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["ok"] = ok }, new Dictionary<string, string> { ["k"] = null! }));
        Assert.ThrowsExactly<ArgumentNullException>(() => Safetensors.Save(path, null!));
        Assert.IsEmpty(folder.FileNames());
    }

    [TestMethod]
    public void MissingFilesAreReportedByPath()
    {
        var missing = folder.File("missing.safetensors");
        var inMissingFolder = Path.Combine(folder.Path, "no-such-folder", "x.safetensors");

        foreach (var path in new[] { missing, inMissingFolder })
        {
            var error = Assert.ThrowsExactly<FileNotFoundException>(() => Safetensors.Load(path));
            Assert.AreEqual(path, error.FileName);
            Assert.Contains(path, error.Message);
            Assert.ThrowsExactly<FileNotFoundException>(() => Safetensors.ReadMetadata(path));
        }
    }
}

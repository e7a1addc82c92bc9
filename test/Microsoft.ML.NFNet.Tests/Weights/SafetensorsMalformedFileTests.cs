using System.Buffers.Binary;
using System.Text;
using static Microsoft.ML.NFNet.Tests.Weights.SafetensorsTestFiles;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>Malformed files are rejected with an <see cref="InvalidDataException"/> that names the file and the tensor.</summary>
[TestClass]
public class SafetensorsMalformedFileTests : TempFolderTests
{
    private const string F32One = """{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""";

    [TestMethod]
    // The header itself.
    [DataRow("", 0, "not valid JSON")]
    [DataRow("""{"a":""", 0, "not valid JSON")]
    [DataRow("""{"a":{},}""", 0, "not valid JSON")]
    [DataRow("[1, 2]", 0, "not an object")]
    [DataRow("\"text\"", 0, "not an object")]
    [DataRow("null", 0, "not an object")]
    // Entries and their fields.
    [DataRow("""{"a":1}""", 4, "tensor 'a' is a JSON Number")]
    [DataRow("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has no 'dtype'")]
    [DataRow("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "tensor 'a' has no 'shape'")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "tensor 'a' has no 'data_offsets'")]
    [DataRow("""{"a":{"dtype":6,"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has a 'dtype' that is a JSON Number")]
    [DataRow("""{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4, "tensor 'a' has dtype 'F8_E4M3'")]
    [DataRow("""{"a":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}""", 4, "tensor 'a' has dtype 'U16'")]
    [DataRow("""{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has dtype 'f32'")]
    [DataRow("""{"a":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}""", 4, "tensor 'a' has a 'shape' that is a JSON Number")]
    [DataRow("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape dimension -1")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape dimension 1.5")]
    [DataRow("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape dimension \"1\"")]
    [DataRow("""{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape dimension 99999999999999999999")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "tensor 'a' has data_offsets [0]")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 8, "tensor 'a' has data_offsets [0,4,8]")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "tensor 'a' has data_offsets [-4,0]")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}}""", 4, "tensor 'a' has a 'data_offsets' that is a JSON String")]
    // Sizes and offsets.
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape [2] of F32, which takes 8 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[],"data_offsets":[0,8]}}""", 8, "tensor 'a' has shape [] of F32, which takes 4 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,4]}}""", 4, "tensor 'a' has shape [0] of F32, which takes 0 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}""", 4, "overflows")]
    [DataRow("""{"a":{"dtype":"I64","shape":[2147483648,2147483648],"data_offsets":[0,8]}}""", 8, "overflows")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "tensor 'a' has data_offsets [4, 0], which begin after they end")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "tensor 'a' has data_offsets [0, 8] beyond the data section of 4 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775800,9223372036854775804]}}""", 4, "beyond the data section")]
    // Layout of the data section.
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", 6, "tensor 'b' has data_offsets [2, 6], which overlap those of tensor 'a'")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "which overlap")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "tensor 'b' has data_offsets [8, 12], which leave a gap")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "tensor 'a' has data_offsets [4, 8], which leave a gap")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "the tensors cover 4 bytes of the 8-byte data section")]
    [DataRow("{}", 4, "the tensors cover 0 bytes of the 4-byte data section")]
    // Names and metadata.
    [DataRow("""{"a":""" + F32One + ""","a":""" + F32One + "}", 4, "tensor 'a' appears more than once")]
    [DataRow("""{"__metadata__":{},"__metadata__":{},"a":""" + F32One + "}", 4, "more than one '__metadata__'")]
    [DataRow("""{"__metadata__":"pt","a":""" + F32One + "}", 4, "'__metadata__' is a JSON String, not an object")]
    [DataRow("""{"__metadata__":{"format":1},"a":""" + F32One + "}", 4, "'__metadata__' entry 'format' is a JSON Number")]
    [DataRow("""{"__metadata__":{"k":"1","k":"2"},"a":""" + F32One + "}", 4, "'__metadata__' has more than one entry 'k'")]
    public void MalformedHeadersAreRejected(string header, int dataLength, string expected)
    {
        var path = folder.File("bad.safetensors");
        WriteCrafted(path, header, new byte[dataLength]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.AreEqual(error.Message, Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.ReadMetadata(path)).Message);
    }

    [TestMethod]
    public void FilesShorterThanTheLengthPrefixAreRejected()
    {
        var path = folder.File("short.safetensors");
        for (var length = 0; length < 8; length++)
        {
            File.WriteAllBytes(path, new byte[length]);

            var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));

            Assert.Contains(path, error.Message);
            Assert.Contains($"the file has {length} bytes", error.Message);
        }
    }

    [TestMethod]
    [DataRow(1UL << 62)]
    [DataRow(ulong.MaxValue)]
    [DataRow(1UL << 63)]
    [DataRow(3UL)]
    public void HeaderLengthsBeyondTheFileAreRejectedWithoutAllocating(ulong headerLength)
    {
        var path = folder.File("liar.safetensors");
        WriteCrafted(path, headerLength, "{}"u8.ToArray(), []);

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Contains($"the header length {headerLength} runs past the end of the file", error.Message);
        Assert.IsLessThan(1 << 20, allocated);
    }

    [TestMethod]
    public void AbsurdHeaderLengthsAreRejectedEvenWhenTheFileIsLongEnough()
    {
        var path = folder.File("absurd.safetensors");
        const long headerLength = 150_000_000;
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes(headerLength));
            // Sparse where the file system allows it, so the test stays cheap.
            stream.SetLength(8 + headerLength + 16);
        }

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Contains("exceeds the limit", error.Message);
        Assert.IsLessThan(1 << 20, allocated);
    }

    [TestMethod]
    public void HugeShapesInTinyFilesAreRejectedWithoutAllocating()
    {
        var path = folder.File("huge.safetensors");
        var headers = new[]
        {
            """{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}""",
            """{"a":{"dtype":"U8","shape":[4611686018427387904],"data_offsets":[0,4611686018427387904]}}""",
            """{"a":{"dtype":"F64","shape":[1000000000],"data_offsets":[0,8000000000]}}""",
        };
        foreach (var header in headers)
        {
            WriteCrafted(path, header, new byte[4]);

            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

            Assert.Contains("tensor 'a'", error.Message);
            Assert.IsLessThan(1 << 20, allocated);
        }
    }

    [TestMethod]
    public void HeadersThatAreNotUtf8AreRejected()
    {
        var path = folder.File("latin1.safetensors");
        var header = Encoding.Latin1.GetBytes("""{"é":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""");
        WriteCrafted(path, (ulong)header.Length, header, new byte[4]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));

        Assert.Contains("not valid UTF-8", error.Message);
    }

    [TestMethod]
    public void BoolValuesOtherThanZeroAndOneAreRejected()
    {
        var path = folder.File("bool.safetensors");
        WriteCrafted(path, """{"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}""", [1, 0, 2]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));

        Assert.Contains("tensor 'mask' holds a BOOL value that is neither 0 nor 1", error.Message);
    }

    [TestMethod]
    public void TruncatedCopiesOfARealFileAreRejected()
    {
        var bytes = File.ReadAllBytes(Fixtures.PathOf("forward_dm_a.weights.safetensors"));
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var cuts = new[] { 0, 1, 7, 8, 9, headerEnd / 2, headerEnd - 1, headerEnd, headerEnd + 1, (headerEnd + bytes.Length) / 2, bytes.Length - 4, bytes.Length - 1 };
        var path = folder.File("truncated.safetensors");

        foreach (var cut in cuts)
        {
            File.WriteAllBytes(path, bytes[..cut]);

            var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path), $"cut at {cut}");

            Assert.Contains(path, error.Message);
        }
    }

    [TestMethod]
    public void ARealFileWithTrailingBytesIsRejected()
    {
        var bytes = File.ReadAllBytes(Fixtures.PathOf("forward_dm_a.weights.safetensors"));
        var path = folder.File("padded.safetensors");
        File.WriteAllBytes(path, [.. bytes, 0, 0, 0, 0]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path));

        Assert.Contains("the tensors cover", error.Message);
    }
}

using System.Buffers.Binary;
using System.Text;
using TorchSharp;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>A fresh temporary folder per test, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nfnet-safetensors-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The names of the files in the folder, sorted.</summary>
    public string[] FileNames() =>
        System.IO.Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Path))
            System.IO.Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Builders of test tensors and of hand-made safetensors files.</summary>
internal static class SafetensorsTestFiles
{
    /// <summary>A tensor filled with random bytes (0 or 1 for bool), so that every bit pattern, NaNs included, is covered.</summary>
    public static torch.Tensor RandomBits(torch.ScalarType dtype, long[] shape, int seed)
    {
        var tensor = torch.empty(shape, dtype);
        var bytes = new byte[tensor.NumberOfElements * tensor.ElementSize];
        new Random(seed).NextBytes(bytes);
        if (dtype == torch.ScalarType.Bool)
        {
            for (var i = 0; i < bytes.Length; i++)
                bytes[i] &= 1;
        }
        tensor.bytes = bytes;
        return tensor;
    }

    /// <summary>The bytes of a tensor's contiguous CPU version: what a safetensors file holds for it.</summary>
    public static byte[] BytesOf(torch.Tensor tensor)
    {
        using var contiguous = tensor.cpu().contiguous();
        return contiguous.bytes.ToArray();
    }

    /// <summary>Asserts that two tensors have the same dtype, shape and bytes (so NaNs compare by their bits).</summary>
    public static void AssertIdentical(torch.Tensor expected, torch.Tensor actual, string name = "")
    {
        Assert.AreEqual(expected.dtype, actual.dtype, name);
        CollectionAssert.AreEqual(expected.shape, actual.shape, name);
        CollectionAssert.AreEqual(BytesOf(expected), BytesOf(actual), name);
    }

    /// <summary>Writes a file with the given header text and data section, the length prefix matching the header.</summary>
    public static void WriteCrafted(string path, string header, byte[] data) =>
        WriteCrafted(path, (ulong)Encoding.UTF8.GetByteCount(header), Encoding.UTF8.GetBytes(header), data);

    /// <summary>Writes a file with an arbitrary length prefix, header bytes and data section.</summary>
    public static void WriteCrafted(string path, ulong headerLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        System.IO.File.WriteAllBytes(path, bytes);
    }

    /// <summary>The header length and JSON header of a safetensors file, read independently of the library.</summary>
    public static (ulong Length, string Json) ReadHeader(byte[] file)
    {
        var length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (length, Encoding.UTF8.GetString(file, 8, (int)length));
    }
}

/// <summary>Tests that each get a fresh temporary folder, deleted afterwards.</summary>
public abstract class TempFolderTests
{
    private protected TempFolder folder = null!;

    [TestInitialize]
    public void CreateFolder() => folder = new TempFolder();

    [TestCleanup]
    public void DeleteFolder() => folder.Dispose();
}

using System.Security.Cryptography;
using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Reads and writes the safetensors format (the format of Hugging Face and timm weights): a little-endian u64 header
/// length, a UTF-8 JSON header that gives each tensor's dtype, shape and byte range, then the raw little-endian,
/// C-contiguous tensor data.
/// </summary>
/// <remarks>
/// Supported dtypes: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32 and F64. Tensors keep their dtype when loaded.
/// </remarks>
internal static class Safetensors
{
    /// <summary>
    /// Tensor data moves between file and memory in slices of this many bytes: <see cref="torch.Tensor.bytes"/> spans
    /// at most 2 GiB, and a bounded slice keeps each read or write call a moderate size.
    /// </summary>
    internal const long ChunkBytes = 8 << 20;

    private delegate void ChunkAction(Span<byte> chunk, long byteOffset);

    /// <summary>The metadata key under which the library records the SHA-256 (lower-case hex) of the data section.
    /// <see cref="Load(string)"/> verifies it when present, so a corrupted model file fails instead of loading different weights.</summary>
    public const string ChecksumMetadataKey = "nfnet.data_sha256";

    /// <summary>Loads every tensor of a safetensors file onto the CPU.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>
    /// The tensors by name, in the order of their data in the file, with the dtypes of the file. The caller owns them;
    /// when called inside a <see cref="torch.NewDisposeScope"/> they belong to that scope.
    /// </returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a well-formed safetensors file, or its data does not match the checksum recorded in its metadata
    /// (<see cref="ChecksumMetadataKey"/>); the message names the file and, where it applies, the tensor. The whole
    /// header is checked against the file's length before any tensor is allocated.
    /// </exception>
    /// <exception cref="NotSupportedException">The process runs on a big-endian machine.</exception>
    public static Dictionary<string, torch.Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var source = SafetensorsSource.OpenFile(path);
        return Load(source, SafetensorsHeader.Read(source));
    }

    /// <summary>Reads the string-to-string metadata (the <c>__metadata__</c> header entry) of a safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The metadata; empty when the file has none.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The header is malformed or does not fit the file.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var source = SafetensorsSource.OpenFile(path);
        return SafetensorsHeader.Read(source).Metadata;
    }

    /// <summary>Loads the tensors that <paramref name="header"/> (read from <paramref name="source"/>) describes,
    /// verifying the data checksum when the metadata records one.</summary>
    internal static Dictionary<string, torch.Tensor> Load(SafetensorsSource source, SafetensorsHeader header)
    {
        EnsureLittleEndian();
        TorchRuntime.EnsureAvailable();
        var path = source.Name;
        using var checksum = header.Metadata.ContainsKey(ChecksumMetadataKey) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

        // The scope disposes the tensors read so far if a read fails; the complete set is moved out of it.
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, torch.Tensor>(header.Entries.Count);
        // Entries are in data order and tile the data section, so hashing them in turn hashes the data section.
        foreach (var entry in header.Entries)
        {
            var tensor = torch.empty(entry.Shape, entry.DType, torch.CPU);
            var start = header.DataStart + entry.Begin;
            ForEachChunk(tensor, (chunk, byteOffset) =>
            {
                source.ReadExactly(chunk, start + byteOffset);
                checksum?.AppendData(chunk);
                // Any byte but 0 and 1 in a bool tensor is undefined behaviour for libtorch.
                if (entry.DType == torch.ScalarType.Bool && chunk.IndexOfAnyExcept((byte)0, (byte)1) >= 0)
                    throw SafetensorsHeader.Invalid(path, "holds a BOOL value that is neither 0 nor 1", entry.Name);
            });
            tensors.Add(entry.Name, tensor);
        }
        if (checksum is not null)
        {
            var actual = Convert.ToHexStringLower(checksum.GetHashAndReset());
            var recorded = header.Metadata[ChecksumMetadataKey];
            if (!string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"'{path}' is corrupt: the SHA-256 of its tensor data is {actual}, but the file records {recorded}. " +
                    "The file was damaged after it was written; restore it from a backup or save it again.");
        }
        foreach (var tensor in tensors.Values)
            tensor.MoveToOuterDisposeScope();
        return tensors;
    }

    /// <summary>The SHA-256 (lower-case hex) of the data section <see cref="Save(string, IReadOnlyDictionary{string, torch.Tensor}, IReadOnlyDictionary{string, string}?)"/>
    /// writes for <paramref name="tensors"/>: their contiguous bytes in ordinal order of their names.</summary>
    internal static string DataChecksum(IReadOnlyDictionary<string, torch.Tensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, tensor) in tensors.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            using var scope = torch.NewDisposeScope();
            ForEachChunk(tensor.cpu().contiguous(), (chunk, _) => hash.AppendData(chunk));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Saves tensors to a safetensors file, replacing any file at <paramref name="path"/>.</summary>
    /// <inheritdoc cref="Save(string, IReadOnlyDictionary{string, torch.Tensor}, IReadOnlyDictionary{string, string}?)"/>
    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors) => Save(path, tensors, null);

    /// <summary>Saves tensors and metadata to a safetensors file, replacing any file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">
    /// The tensors by name. They may live on any device and need not be contiguous: the file receives their contiguous
    /// CPU contents.
    /// </param>
    /// <param name="metadata">Strings to store under the header's <c>__metadata__</c> entry; null or empty for none.</param>
    /// <remarks>
    /// The output is deterministic: tensors are written in ordinal order of their names, the header is padded with
    /// spaces to a multiple of 8 bytes. The file is written under a temporary name in the same folder and then moved
    /// over <paramref name="path"/>, so a failure never leaves a partial file there and keeps any previous file intact.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A name is empty or <c>__metadata__</c>, a tensor is null or has a dtype that the format cannot hold, or a
    /// metadata value is null.
    /// </exception>
    /// <exception cref="NotSupportedException">The process runs on a big-endian machine.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (header, layout, dataLength) = Prepare(tensors, metadata);
        WriteAtomically(path, header.Length + dataLength, stream => WriteBody(stream, header, layout));
    }

    /// <summary>Writes the same bytes as <see cref="Save(string, IReadOnlyDictionary{string, torch.Tensor}, IReadOnlyDictionary{string, string}?)"/>
    /// to <paramref name="stream"/> (e.g. an entry of a model zip).</summary>
    internal static void Write(Stream stream, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (header, layout, _) = Prepare(tensors, metadata);
        WriteBody(stream, header, layout);
    }

    // Everything is validated before anything is written.
    private static (byte[] Header, List<(SafetensorsEntry Entry, torch.Tensor Tensor)> Layout, long DataLength) Prepare(
        IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        EnsureLittleEndian();
        TorchRuntime.EnsureAvailable();
        var layout = new List<(SafetensorsEntry Entry, torch.Tensor Tensor)>(tensors.Count);
        long dataLength = 0;
        foreach (var (name, tensor) in tensors.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("A tensor name is empty.", nameof(tensors));
            if (name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (tensor is null)
                throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            if (!SafetensorsDTypes.TryGetName(tensor.dtype, out _, out var elementSize))
                throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which is not supported (supported: {SafetensorsDTypes.SupportedNames}).", nameof(tensors));
            var byteCount = checked(tensor.NumberOfElements * elementSize);
            layout.Add((new SafetensorsEntry(name, tensor.dtype, tensor.shape, dataLength, dataLength + byteCount), tensor));
            dataLength = checked(dataLength + byteCount);
        }
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (value is null)
                    throw new ArgumentException($"The value of metadata entry '{key}' is null.", nameof(metadata));
            }
        }
        return (SafetensorsHeader.Serialize(layout.Select(item => item.Entry), metadata), layout, dataLength);
    }

    private static void WriteBody(Stream stream, byte[] header, List<(SafetensorsEntry Entry, torch.Tensor Tensor)> layout)
    {
        stream.Write(header);
        foreach (var (_, tensor) in layout)
            WriteTensor(stream, tensor);
    }

    private static void WriteTensor(Stream stream, torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        // The contiguous CPU version (the tensor itself when it already is one) has exactly the byte layout of the file.
        var data = tensor.cpu().contiguous();
        ForEachChunk(data, (chunk, _) => stream.Write(chunk));
    }

    private static void WriteAtomically(string path, long length, Action<FileStream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                // Large spans go straight to the file; a managed buffer would only add a copy.
                BufferSize = 0,
                PreallocationSize = length,
            };
            using (var stream = new FileStream(tempPath, options))
            {
                write(stream);
                // On disk before the rename, so that a crash cannot leave a renamed but incomplete file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
    }

    /// <summary>Visits the bytes of a contiguous CPU tensor in slices of at most <see cref="ChunkBytes"/>.</summary>
    /// <remarks>Each slice is a span over the tensor's own memory, so data is copied once, between file and tensor.</remarks>
    private static void ForEachChunk(torch.Tensor tensor, ChunkAction action)
    {
        var count = tensor.NumberOfElements;
        if (count == 0)
            return;
        var elementSize = tensor.ElementSize;
        var chunkElements = ChunkBytes / elementSize;
        using var flat = tensor.view(-1);
        for (long start = 0; start < count; start += chunkElements)
        {
            using var slice = flat.narrow(0, start, Math.Min(chunkElements, count - start));
            action(slice.bytes, start * elementSize);
        }
    }

    private static void EnsureLittleEndian()
    {
        // Tensor bytes are copied verbatim and the format is little-endian.
        if (!BitConverter.IsLittleEndian)
            throw new NotSupportedException("Safetensors files can only be read and written on little-endian machines.");
    }
}

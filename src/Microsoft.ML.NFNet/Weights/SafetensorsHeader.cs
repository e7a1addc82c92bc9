using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>One tensor of a safetensors file: its name, type, shape and byte range in the data section.</summary>
internal sealed record SafetensorsEntry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// The header of a safetensors file (u64 little-endian length N, then N bytes of UTF-8 JSON), validated against the
/// real file length so that nothing is allocated or read on the word of a lying header.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The reserved header key of the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted: the limit of the reference implementation.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const int LengthPrefixBytes = sizeof(ulong);

    private SafetensorsHeader(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors in the order of their data.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file offset of the data section.</summary>
    public long DataStart { get; }

    /// <summary>Reads and validates the header of a source.</summary>
    public static SafetensorsHeader Read(SafetensorsSource source)
    {
        var path = source.Name;
        var fileLength = source.Length;
        if (fileLength < LengthPrefixBytes)
            throw Invalid(path, $"the file has {fileLength} bytes, fewer than the {LengthPrefixBytes}-byte header length");
        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        source.ReadExactly(prefix, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        var available = fileLength - LengthPrefixBytes;
        if (headerLength > (ulong)available)
            throw Invalid(path, $"the header length {headerLength} runs past the end of the file ({available} bytes follow the length)");
        if (headerLength > MaxHeaderBytes)
            throw Invalid(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes");
        var json = new byte[headerLength];
        source.ReadExactly(json, LengthPrefixBytes);
        var dataStart = LengthPrefixBytes + (long)headerLength;
        return Parse(json, dataStart, fileLength - dataStart, path);
    }

    /// <summary>The error for a malformed file, naming the file and, where there is one, the tensor.</summary>
    public static InvalidDataException Invalid(string path, string detail, string? tensor = null, Exception? inner = null) =>
        new(tensor is null
                ? $"'{path}' is corrupt or truncated, or not a safetensors file: {detail}."
                : $"'{path}' is corrupt or truncated, or not a safetensors file: tensor '{tensor}' {detail}.",
            inner);

    /// <summary>
    /// The bytes that start a file holding <paramref name="entries"/>: the length prefix and the JSON header, padded
    /// with spaces to a multiple of 8 bytes (as the reference writer does) so that the data section stays aligned.
    /// </summary>
    public static byte[] Serialize(IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        // Relaxed escaping keeps non-ASCII names readable; the header is never embedded in HTML.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                if (!SafetensorsDTypes.TryGetName(entry.DType, out var dtypeName, out _))
                    throw new ArgumentException($"Tensor '{entry.Name}' has dtype {entry.DType}, which safetensors files cannot hold.", nameof(entries));
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", dtypeName);
                writer.WriteStartArray("shape");
                foreach (var dim in entry.Shape)
                    writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(entry.Begin);
                writer.WriteNumberValue(entry.End);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        var jsonLength = json.Length;
        var paddedLength = (jsonLength + 7) / 8 * 8;
        if (paddedLength > MaxHeaderBytes)
            throw new ArgumentException($"The safetensors header would take {paddedLength} bytes, more than the {MaxHeaderBytes} that readers accept.");
        var result = new byte[LengthPrefixBytes + paddedLength];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)paddedLength);
        json.GetBuffer().AsSpan(0, (int)jsonLength).CopyTo(result.AsSpan(LengthPrefixBytes));
        result.AsSpan(LengthPrefixBytes + (int)jsonLength).Fill((byte)' ');
        return result;
    }

    private static SafetensorsHeader Parse(byte[] json, long dataStart, long dataLength, string path)
    {
        // JsonDocument would only notice bad UTF-8 when a string is read; the format requires the whole header to be UTF-8.
        if (!Utf8.IsValid(json))
            throw Invalid(path, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON ({e.Message})", inner: e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(path, $"the header is a JSON {root.ValueKind}, not an object");
            // JSON allows repeated keys; a header with two entries of one name is ambiguous, so it is rejected.
            var names = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            Dictionary<string, string>? metadata = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata is not null)
                        throw Invalid(path, $"the header has more than one '{MetadataKey}'");
                    metadata = ParseMetadata(property.Value, path);
                }
                else
                {
                    if (!names.Add(property.Name))
                        throw Invalid(path, "appears more than once in the header", property.Name);
                    entries.Add(ParseEntry(property.Name, property.Value, dataLength, path));
                }
            }
            CheckLayout(entries, dataLength, path);
            return new SafetensorsHeader(entries, metadata ?? new Dictionary<string, string>(), dataStart);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"'{MetadataKey}' is a JSON {value.ValueKind}, not an object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"'{MetadataKey}' entry '{item.Name}' is a JSON {item.Value.ValueKind}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(path, $"'{MetadataKey}' has more than one entry '{item.Name}'");
        }
        return metadata;
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"is a JSON {value.ValueKind}, not an object", name);

        var dtypeName = Field(value, "dtype", JsonValueKind.String, name, path).GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype, out var elementSize))
            throw Invalid(path, $"has dtype '{dtypeName}', which is not supported (supported: {SafetensorsDTypes.SupportedNames})", name);

        var shapeElement = Field(value, "shape", JsonValueKind.Array, name, path);
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (!TryGetNonNegative(dim, out shape[i++]))
                throw Invalid(path, $"has shape dimension {Describe(dim)}, which is not a non-negative 64-bit integer", name);
        }

        var offsetsElement = Field(value, "data_offsets", JsonValueKind.Array, name, path);
        if (offsetsElement.GetArrayLength() != 2
            || !TryGetNonNegative(offsetsElement[0], out var begin)
            || !TryGetNonNegative(offsetsElement[1], out var end))
            throw Invalid(path, $"has data_offsets {Describe(offsetsElement)}, which is not a pair of non-negative 64-bit integers", name);
        if (begin > end)
            throw Invalid(path, $"has data_offsets [{begin}, {end}], which begin after they end", name);
        if (end > dataLength)
            throw Invalid(path, $"has data_offsets [{begin}, {end}] beyond the data section of {dataLength} bytes", name);

        var byteCount = ByteCount(shape, elementSize)
            ?? throw Invalid(path, $"has shape {FormatShape(shape)}, whose size in bytes overflows a 64-bit integer", name);
        if (byteCount != end - begin)
            throw Invalid(path, $"has shape {FormatShape(shape)} of {dtypeName}, which takes {byteCount} bytes, but data_offsets [{begin}, {end}] hold {end - begin}", name);

        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>
    /// The tensors must tile the data section exactly, as the reference implementation requires: no overlaps (two
    /// tensors sharing bytes), no gaps and no trailing bytes. Sorts <paramref name="entries"/> into data order.
    /// </summary>
    private static void CheckLayout(List<SafetensorsEntry> entries, long dataLength, string path)
    {
        // Sorting by end as well puts empty tensors before a tensor that starts at the same offset.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
                throw Invalid(path, $"has data_offsets [{entry.Begin}, {entry.End}], which overlap those of tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]", entry.Name);
            if (entry.Begin > expected)
                throw Invalid(path, $"has data_offsets [{entry.Begin}, {entry.End}], which leave a gap after byte {expected} of the data section", entry.Name);
            expected = entry.End;
            previous = entry;
        }
        if (expected != dataLength)
            throw Invalid(path, $"the tensors cover {expected} bytes of the {dataLength}-byte data section");
    }

    /// <summary>The number of bytes of a tensor, or null if it does not fit a long.</summary>
    /// <remarks>Zero dimensions are skipped until the end so that the result does not depend on the order of dimensions.</remarks>
    private static long? ByteCount(IReadOnlyList<long> shape, int elementSize)
    {
        long bytes = elementSize;
        var empty = false;
        foreach (var dim in shape)
        {
            if (dim == 0)
            {
                empty = true;
                continue;
            }
            if (bytes > long.MaxValue / dim)
                return null;
            bytes *= dim;
        }
        return empty ? 0 : bytes;
    }

    private static JsonElement Field(JsonElement entry, string field, JsonValueKind kind, string name, string path)
    {
        if (!entry.TryGetProperty(field, out var value))
            throw Invalid(path, $"has no '{field}'", name);
        if (value.ValueKind != kind)
            throw Invalid(path, $"has a '{field}' that is a JSON {value.ValueKind}, not {kind}", name);
        return value;
    }

    private static bool TryGetNonNegative(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    /// <summary>A JSON value for an error message, cut short so that a hostile header cannot make it huge.</summary>
    private static string Describe(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 64 ? text : text[..64] + "...";
    }

    private static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}

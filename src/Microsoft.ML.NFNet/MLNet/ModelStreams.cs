using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.NFNet;

/// <summary>What <see cref="NFNetModelParameters"/> stores in an ML.NET model file, besides the network's weights.</summary>
internal sealed record SavedModelContent(
    int ClassCount, NFNetConfig Architecture, ImagePreprocessingOptions Preprocessing, IReadOnlyList<string>? Labels,
    NFNetTrainingResult? Training);

/// <summary>
/// Writes and reads the streams of <see cref="NFNetModelParameters"/> in ML.NET model files.
/// </summary>
/// <remarks>
/// <code>
/// *** Binary format ***
/// 0x00010001 (format 1): int class count; text Architecture.json (NFNetConfig.ToJson); text Preprocessing.json;
///     binary TorchWeights (TorchSharp Module.save)
/// 0x00020001 (format 2): int class count; int stream count N; N × (string name, string SHA-256 hex of the stream's
///     bytes); text Architecture.json; text Preprocessing.json; text Labels.json (label names, may be empty);
///     text Training.json (NFNetTrainingResult, may be "null"); binary Weights.safetensors (timm names, with a SHA-256
///     of the data in its metadata; readable by safetensors.safe_open)
/// </code>
/// Every stream is verified against its recorded hash and every size in the file is checked against the others and
/// against the real stream length before any tensor is allocated, so a damaged file fails with one clear error.
/// </remarks>
internal static class ModelStreams
{
    public const string ArchitectureStream = "Architecture.json";
    public const string PreprocessingStream = "Preprocessing.json";
    public const string LabelsStream = "Labels.json";
    public const string TrainingStream = "Training.json";
    public const string WeightsStream = "Weights.safetensors";
    public const string FormatOneWeightsStream = "TorchWeights";

    // Room for format 1's per-tensor records (names, shapes) beyond the parameter bytes.
    private const long HeaderAllowance = 16 << 20;
    private const long MaxJsonBytes = 64 << 20;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void Save(ModelSaveContext ctx, NFNetModel model, SavedModelContent content)
    {
        // Checked and serialized before anything is written, so a model that cannot be saved writes nothing.
        var weights = new MemoryStream();
        ModelWeights.Write(model, weights);
        var streams = new (string Name, byte[] Bytes)[]
        {
            (ArchitectureStream, Encoding.UTF8.GetBytes(content.Architecture.ToJson())),
            (PreprocessingStream, JsonSerializer.SerializeToUtf8Bytes(content.Preprocessing, Json)),
            (LabelsStream, JsonSerializer.SerializeToUtf8Bytes(content.Labels ?? [], Json)),
            (TrainingStream, JsonSerializer.SerializeToUtf8Bytes(content.Training, Json)),
            (WeightsStream, weights.ToArray()),
        };
        ctx.Writer.Write(content.ClassCount);
        ctx.Writer.Write(streams.Length);
        foreach (var (name, bytes) in streams)
        {
            ctx.Writer.Write(name);
            ctx.Writer.Write(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        foreach (var (name, bytes) in streams)
            ctx.SaveBinaryStream(name, writer => writer.Write(bytes));
    }

    /// <summary>Reads format 2 and builds the model; throws a decode error naming what is wrong.</summary>
    public static (NFNetModel Model, SavedModelContent Content) LoadFormatTwo(IHost host, ModelLoadContext ctx) =>
        MainStream(host, () => ReadFormatTwo(host, ctx));

    /// <summary>Reads format 1 (TorchSharp's own weights stream), checking its length against the architecture
    /// before allocating.</summary>
    public static (NFNetModel Model, SavedModelContent Content) LoadFormatOne(IHost host, ModelLoadContext ctx) =>
        MainStream(host, () => ReadFormatOne(host, ctx));

    private static (NFNetModel Model, SavedModelContent Content) ReadFormatTwo(IHost host, ModelLoadContext ctx)
    {
        var classCount = ReadClassCount(host, ctx);
        var count = ctx.Reader.ReadInt32();
        host.CheckDecode(count is > 0 and < 64, "The model's stream table is corrupt.");
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            hashes[ctx.Reader.ReadString()] = ctx.Reader.ReadString();

        string Text(string name) => Encoding.UTF8.GetString(Verified(host, ctx, hashes, name, MaxJsonBytes));
        var architecture = Parse(host, ArchitectureStream, () => NFNetConfig.FromJson(Text(ArchitectureStream)));
        var preprocessing = Parse(host, PreprocessingStream, () => ImagePreprocessingOptions.FromJson(JsonNode.Parse(Text(PreprocessingStream))!, Json));
        var labels = Parse(host, LabelsStream, () => Deserialize<string[]>(Text(LabelsStream)));
        var training = Parse(host, TrainingStream, () => JsonSerializer.Deserialize<NFNetTrainingResult?>(Text(TrainingStream), Json));
        host.CheckDecode(labels.Length == 0 || labels.Length == classCount,
            $"The model is corrupt: it has {labels.Length} label names for {classCount} classes.");
        var content = new SavedModelContent(classCount, architecture, preprocessing, labels.Length == 0 ? null : labels, training);

        // The weights are read (bounded by what one buffer holds) and verified first: then nothing is built for the stored
        // architecture and class count until they are known to fit the tensors the file actually holds.
        var bytes = Verified(host, ctx, hashes, WeightsStream, Array.MaxLength);
        var name = $"the model's '{WeightsStream}' stream";
        using var source = SafetensorsSource.FromMemory(bytes, name);
        var header = Corrupt(host, WeightsStream, () => SafetensorsHeader.Read(source));
        var stored = $"the architecture ({architecture.Name}) and class count ({classCount:N0}) stored in the model";
        Corrupt(host, WeightsStream, () => ModelWeights.ThrowIfTooFewTensors(header, architecture, stored, name));
        var expected = Parse(host, ArchitectureStream, () => ModelWeights.ExpectedShapes(architecture, classCount));
        Corrupt(host, WeightsStream, () => ModelWeights.CheckHeader(header, expected, stored, name));
        var model = new NFNetModel(architecture, classCount);
        try
        {
            Corrupt(host, WeightsStream, () => ModelWeights.Load(model, source));
            return (model, content);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (NFNetModel Model, SavedModelContent Content) ReadFormatOne(IHost host, ModelLoadContext ctx)
    {
        var classCount = ReadClassCount(host, ctx);
        string ReadText(string name)
        {
            string? text = null;
            if (!ctx.TryLoadTextStream(name, reader => text = reader.ReadToEnd()) || text is null)
                throw host.ExceptDecode($"The model is corrupt or truncated: it has no '{name}' stream.");
            return text;
        }
        var architecture = Parse(host, ArchitectureStream, () => NFNetConfig.FromJson(ReadText(ArchitectureStream)));
        var preprocessing = Parse(host, PreprocessingStream, () => ImagePreprocessingOptions.FromJson(JsonNode.Parse(ReadText(PreprocessingStream))!, Json));
        var expected = Parse(host, ArchitectureStream, () => ModelWeights.ExpectedShapes(architecture, classCount));
        var expectedBytes = Parse(host, ArchitectureStream, () => checked(expected.Values.Sum(shape => 4L * shape.Aggregate(1L, (a, b) => a * b))));

        var limit = expectedBytes >= Array.MaxLength - HeaderAllowance ? Array.MaxLength : expectedBytes + HeaderAllowance;
        byte[]? weights = null;
        if (!Corrupt(host, FormatOneWeightsStream,
                () => ctx.TryLoadBinaryStream(FormatOneWeightsStream, reader => weights = ReadBounded(reader.BaseStream, limit))))
            throw host.ExceptDecode($"The model is corrupt or truncated: it has no '{FormatOneWeightsStream}' stream.");
        if (weights is null || weights.Length < expectedBytes)
            throw host.ExceptDecode($"The '{FormatOneWeightsStream}' stream of the model is corrupt or truncated: the architecture " +
                $"({architecture.Name}, {classCount} classes) needs {expectedBytes:N0} bytes of weights, the stream has " +
                $"{(weights is null ? "more than the limit" : weights.Length.ToString("N0"))}.");
        var model = new NFNetModel(architecture, classCount);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights));
            // TorchSharp reports a short stream as EndOfStreamException, a foreign state dict as ArgumentException.
            Corrupt(host, FormatOneWeightsStream, () => model.load(reader));
            foreach (var (name, tensor) in model.state_dict())
            {
                // A damaged dtype record can load as a type libtorch cannot compute with: name it before any arithmetic.
                if (tensor.dtype != TorchSharp.torch.ScalarType.Float32)
                    throw host.ExceptDecode($"The '{FormatOneWeightsStream}' stream of the model is corrupt: parameter '{name}' " +
                        $"loaded as {tensor.dtype} instead of Float32.");
                using var finite = tensor.isfinite().all();
                if (!finite.item<bool>())
                    throw host.ExceptDecode($"The model is corrupt: parameter '{name}' holds NaN or infinite values.");
            }
            return (model, new SavedModelContent(classCount, architecture, preprocessing, null, null));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Runs a load; what the main stream's own reads (class count, stream table) cannot parse becomes the
    /// library's "corrupt or truncated" error, like every other stream's.</summary>
    private static T MainStream<T>(IHost host, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or DecoderFallbackException)
        {
            throw host.ExceptDecode(e, $"The main stream of the NFNet model is corrupt or truncated: {e.Message}");
        }
    }

    private static int ReadClassCount(IHost host, ModelLoadContext ctx)
    {
        var classCount = ctx.Reader.ReadInt32();
        host.CheckDecode(classCount > 1, $"The model is corrupt: its class count is {classCount}, and a classifier has at least 2.");
        return classCount;
    }

    /// <summary>A stream's bytes, read up to <paramref name="limit"/> and verified against the recorded SHA-256.</summary>
    private static byte[] Verified(IHost host, ModelLoadContext ctx, Dictionary<string, string> hashes, string name, long limit)
    {
        if (!hashes.TryGetValue(name, out var recorded))
            throw host.ExceptDecode($"The model is corrupt: its stream table has no entry for '{name}'.");
        byte[]? bytes = null;
        bool found;
        try
        {
            found = ctx.TryLoadBinaryStream(name, reader => bytes = ReadBounded(reader.BaseStream, limit));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw host.ExceptDecode(e, $"The '{name}' stream of the model is corrupt or truncated: {e.Message}");
        }
        if (!found)
            throw host.ExceptDecode($"The model is corrupt or truncated: it has no '{name}' stream.");
        if (bytes is null)
            throw host.ExceptDecode($"The '{name}' stream of the model is corrupt or truncated: it is larger than the " +
                $"{limit:N0} bytes its architecture allows.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, recorded, StringComparison.Ordinal))
            throw host.ExceptDecode($"The '{name}' stream of the model is corrupt or truncated: its SHA-256 is {actual}, " +
                $"the model file records {recorded}. The file was damaged after it was saved.");
        return bytes;
    }

    /// <summary>The whole stream, or null when it holds more than <paramref name="limit"/> bytes.</summary>
    private static byte[]? ReadBounded(Stream stream, long limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 20];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("The JSON is null.");

    // JSON that does not parse or describes an impossible model: the test suite's corrupt-architecture case.
    private static T Parse<T>(IHost host, string stream, Func<T> parse) => Corrupt(host, stream, parse);

    private static void Corrupt(IHost host, string stream, Action read) => Corrupt<object?>(host, stream, () =>
    {
        read();
        return null;
    });

    /// <summary>Whatever a stream's parser cannot make sense of becomes one decode error that names the stream.</summary>
    private static T Corrupt<T>(IHost host, string stream, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or JsonException or ArgumentException
                                      or NotSupportedException or OverflowException or FormatException or InvalidOperationException
                                      or System.Runtime.InteropServices.ExternalException)
        {
            throw host.ExceptDecode(e, $"The '{stream}' stream of the model is corrupt or truncated: {e.Message}");
        }
    }
}

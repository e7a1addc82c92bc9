using System.Text.Json;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The metadata properties (<c>ModelProto.metadata_props</c>) an exported NFNet carries, and readers for them. With
/// ONNX Runtime, pass <c>session.ModelMetadata.CustomMetadataMap</c> to the readers.
/// </summary>
internal static class NFNetOnnxMetadata
{
    /// <summary>Key of the class names: a JSON array of strings in output order (absent when none were given).</summary>
    public const string LabelsKey = "nfnet.labels";

    /// <summary>Key of the preprocessing: a JSON object, see <see cref="NFNetOnnxPreprocessing"/>.</summary>
    public const string PreprocessingKey = "nfnet.preprocessing";

    /// <summary>Key of the architecture's name (e.g. <c>eca_nfnet_l0</c>).</summary>
    public const string ArchitectureKey = "nfnet.architecture";

    /// <summary>Key of the whole architecture as <see cref="NFNetConfig.ToJson"/> writes it.</summary>
    public const string ConfigKey = "nfnet.config";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>The class names, or null when the model was exported without them.</summary>
    /// <exception cref="InvalidDataException">The property is not a JSON array of strings.</exception>
    public static IReadOnlyList<string>? ReadLabels(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(LabelsKey, out var json) ? Parse<string[]>(json, LabelsKey) : null;
    }

    /// <summary>The preprocessing the model expects.</summary>
    /// <exception cref="InvalidDataException">The property is missing or not valid JSON for <see cref="NFNetOnnxPreprocessing"/>.</exception>
    public static NFNetOnnxPreprocessing ReadPreprocessing(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(PreprocessingKey, out var json))
            throw new InvalidDataException($"The ONNX model has no '{PreprocessingKey}' metadata property; was it exported by Microsoft.ML.NFNet?");
        return Parse<NFNetOnnxPreprocessing>(json, PreprocessingKey);
    }

    internal static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    private static T Parse<T>(string json, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json)
                ?? throw new InvalidDataException($"The ONNX metadata property '{key}' is JSON null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The ONNX metadata property '{key}' is not valid: {e.Message}", e);
        }
    }
}

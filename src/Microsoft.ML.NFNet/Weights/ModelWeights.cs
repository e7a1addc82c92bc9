using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Strict safetensors I/O of an <see cref="NFNetModel"/>'s parameters under their timm state_dict names: the one loader
/// behind <see cref="NFNetModelExtensions.LoadWeights"/>, checkpoints and ML.NET model files, so all of them check the same
/// things with the same messages.
/// </summary>
internal static class ModelWeights
{
    /// <summary>Metadata of every weights file we write: the checksum and PyTorch's tag (what safetensors' own
    /// <c>save_file</c> of a PyTorch state dict writes, so tools treat the file as a PyTorch one).</summary>
    private const string FormatKey = "format";
    private const string PyTorchFormat = "pt";

    /// <summary>The parameter names and shapes of <paramref name="config"/> with <paramref name="classCount"/> classes,
    /// computed on the meta device (no memory), so a file can be checked before the model is allocated.</summary>
    public static IReadOnlyDictionary<string, long[]> ExpectedShapes(NFNetConfig config, int classCount)
    {
        using var meta = new NFNetModel(config, classCount, META);
        return meta.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
    }

    /// <summary>
    /// Every block of <paramref name="config"/> holds tensors, so an architecture with more blocks than the file has
    /// tensors cannot be the file's: rejected before a model (even on the meta device, whose cost grows with the number
    /// of blocks) is built for it.
    /// </summary>
    /// <exception cref="InvalidDataException">The architecture has more blocks than the file has tensors.</exception>
    public static void ThrowIfTooFewTensors(SafetensorsHeader header, NFNetConfig config, string what, string path)
    {
        var blocks = config.Depths.Sum(depth => (long)depth);
        if (blocks > header.Entries.Count)
            throw new InvalidDataException(
                $"'{path}' does not match {what}: the architecture has {blocks:N0} blocks, the file only " +
                $"{header.Entries.Count:N0} tensors.");
    }

    /// <summary>Checks names and shapes in a file's header against <paramref name="expected"/> without reading any data.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or of another shape (named).</exception>
    /// <param name="header">The file's header.</param>
    /// <param name="expected">The model's names and shapes.</param>
    /// <param name="what">The model, for messages.</param>
    /// <param name="path">The file, for messages.</param>
    public static void CheckHeader(SafetensorsHeader header, IReadOnlyDictionary<string, long[]> expected, string what, string path)
    {
        var present = header.Entries.ToDictionary(e => e.Name, e => e);
        var missing = expected.Keys.Where(k => !present.ContainsKey(k)).ToList();
        var unexpected = present.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"'{path}' does not match {what}: " + Describe("missing", missing) + Describe("unexpected", unexpected) +
                "Check the variant and number of classes the weights were saved with.");
        foreach (var (name, shape) in expected)
        {
            var entry = present[name];
            if (!entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException(
                    $"'{path}': tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but {what} expects " +
                    $"[{string.Join(", ", shape)}].");
            if (entry.DType is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64))
                throw new InvalidDataException($"'{path}': tensor '{name}' has non-floating-point type {entry.DType}.");
        }
    }

    /// <summary>Loads <paramref name="source"/> into <paramref name="model"/> strictly: every parameter present with its
    /// exact shape, nothing else, every value finite. Nothing is copied into the model unless everything checks out.</summary>
    public static void Load(NFNetModel model, SafetensorsSource source)
    {
        var header = SafetensorsHeader.Read(source);
        var expected = model.state_dict();
        CheckHeader(header, expected.ToDictionary(kv => kv.Key, kv => kv.Value.shape), Describe(model), source.Name);
        using var scope = NewDisposeScope();
        var loaded = Safetensors.Load(source, header);
        foreach (var (name, tensor) in loaded)
            EnsureFinite(tensor, name, () => NonFinite(source.Name, name));
        using (no_grad())
        {
            foreach (var (name, target) in expected)
                target.copy_(loaded[name]);
        }
        // Standardized weights frozen for scoring belong to the old weights.
        if (model.IsFrozenForScoring)
            model.FreezeForScoring();
    }

    /// <summary>Whether a parameter belongs to the classifier head (timm's <c>head.fc</c>).</summary>
    public static bool IsClassifier(string name) => name.StartsWith("head.", StringComparison.Ordinal);

    /// <summary>The error for weights that hold NaN or ∞.</summary>
    public static InvalidDataException NonFinite(string source, string tensor) => new(
        $"'{source}': tensor '{tensor}' holds NaN or infinite values, so the weights are unusable (a diverged " +
        "training run or a damaged file). Use weights saved before the problem.");

    /// <summary>The parameters as a safetensors state dict with our metadata (checksum, format tag).</summary>
    /// <exception cref="InvalidOperationException">A parameter holds NaN or ∞ (named): such a model is not saved.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ForSaving(NFNetModel model)
    {
        var tensors = model.state_dict();
        foreach (var (name, tensor) in tensors)
            EnsureFinite(tensor, name, () => new InvalidOperationException(
                $"The model's parameter '{name}' holds NaN or infinite values; a model like this would only predict NaN, so " +
                "it is not saved. Train again with a lower learning rate or clipping factor."));
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = PyTorchFormat,
            [Safetensors.ChecksumMetadataKey] = Safetensors.DataChecksum(tensors),
        };
        return (tensors, metadata);
    }

    public static void Save(NFNetModel model, string path)
    {
        var (tensors, metadata) = ForSaving(model);
        Safetensors.Save(path, tensors, metadata);
    }

    public static void Write(NFNetModel model, Stream stream)
    {
        var (tensors, metadata) = ForSaving(model);
        Safetensors.Write(stream, tensors, metadata);
    }

    internal static void EnsureFinite(Tensor tensor, string name, Func<Exception> error)
    {
        if (!tensor.is_floating_point())
            return;
        using var finite = tensor.isfinite().all();
        if (!finite.item<bool>())
            throw error();
    }

    private static string Describe(NFNetModel model) => $"the {model.Config.Name} architecture with {model.NumClasses} classes";

    private static string Describe(string what, List<string> names) => names.Count == 0
        ? ""
        : $"{names.Count} {what} tensor(s) ({string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : "")}). ";
}

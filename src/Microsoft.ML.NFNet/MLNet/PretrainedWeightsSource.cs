using Microsoft.ML.Data;
using Microsoft.ML.NFNet.Modeling;
using Microsoft.ML.NFNet.Preprocessing;
using Microsoft.ML.NFNet.Weights;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.MLNet;

/// <summary>What a weights string resolves to: a loaded network (owned by the caller), the preprocessing its weights
/// expect for scoring, and the class names when the source has them.</summary>
/// <param name="Model">The network with the weights loaded; the caller owns (and disposes) it.</param>
/// <param name="Preprocessing">Scoring preprocessing: the catalog entry's (timm's pretrained configuration), the saved
/// model's, or defaults for the architecture.</param>
/// <param name="Labels">Class names of the head (a model zip of this library's trainer), else null.</param>
/// <param name="Description">Where the weights came from, for messages and the log.</param>
internal sealed record ResolvedWeights(NFNetModel Model, ImagePreprocessingOptions Preprocessing, IReadOnlyList<string>? Labels, string Description);

/// <summary>
/// Resolves a weights string the way every option that takes one does (the featurizer's <c>weights</c>, the trainer's
/// pretrained weights): a published catalog name (<see cref="NFNetPretrained"/>, downloaded into the Hugging Face cache
/// on first use), a <c>.safetensors</c> file with timm's tensor names (timm's, or <c>SaveWeights</c>'; the architecture
/// is recognised from the tensor shapes), or an ML.NET model zip written with this library (a trained classifier or a
/// featurizer). Every failure is one clear exception that names the string and says what is accepted.
/// </summary>
internal static class PretrainedWeightsSource
{
    private const string HeadWeight = "head.fc.weight";
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    /// <param name="weights">The string to resolve.</param>
    /// <param name="optionName">The option or parameter that held it, named in errors.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="ArgumentException">Empty, an unknown catalog name (the known ones are listed), or a model zip
    /// that holds no NFNet model.</exception>
    /// <exception cref="FileNotFoundException">A path to a file that does not exist.</exception>
    /// <exception cref="InvalidDataException">A file that is neither a safetensors file nor a model zip, is corrupt or
    /// truncated, holds NaN/∞, or fits no known architecture (the closest one and the differing tensors are named).</exception>
    /// <exception cref="HubDownloadException">A catalog file could not be downloaded (or is not cached, offline).</exception>
    public static ResolvedWeights Resolve(string weights, string optionName, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(weights))
            throw new ArgumentException($"{optionName} is empty. {Accepted}", optionName);
        if (File.Exists(weights))
            return IsZip(weights) ? FromModelZip(weights, optionName) : FromSafetensors(weights, catalogEntry: null);
        if (LooksLikePath(weights))
            throw new FileNotFoundException(
                $"{optionName}: the weights file '{Path.GetFullPath(weights)}' does not exist. {Accepted}", weights);
        NFNetPretrainedWeights entry;
        try
        {
            entry = NFNetPretrained.Find(weights);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{optionName} = '{weights}' is neither an existing file nor a published weights name. {e.Message}",
                optionName, e);
        }
        var path = NFNetPretrained.Download(entry.Name, cancellationToken);
        return FromSafetensors(path, entry);
    }

    private static string Accepted =>
        "Pass a published weights name (one of " + string.Join(", ", NFNetPretrained.All.Select(w => w.Name)) + "), " +
        "a .safetensors file with timm's tensor names, or a model zip saved with mlContext.Model.Save from a pipeline " +
        "with Trainers.NFNet or NFNetFeaturizeImage.";

    private static bool LooksLikePath(string weights) =>
        weights.Contains('/') || weights.Contains('\\') || weights.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
        || weights.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    private static bool IsZip(string path)
    {
        Span<byte> start = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(start, 4, throwOnEndOfStream: false) == 4 && start.SequenceEqual(ZipMagic);
    }

    private static ResolvedWeights FromSafetensors(string path, NFNetPretrainedWeights? catalogEntry)
    {
        using var source = SafetensorsSource.OpenFile(path);
        var header = SafetensorsHeader.Read(source);
        var description = catalogEntry is null ? $"'{path}'" : $"{catalogEntry.Name} ('{path}')";
        NFNetConfig architecture;
        int classCount;
        if (catalogEntry is not null)
        {
            (architecture, classCount) = (catalogEntry.Architecture, catalogEntry.ClassCount);
        }
        else
        {
            (architecture, classCount) = RecogniseArchitecture(header, path);
            // A file of a published architecture scores with that architecture's published preprocessing.
            catalogEntry = NFNetPretrained.All.FirstOrDefault(w => w.ArchitectureName == architecture.Name);
            description += $" ({architecture.Name}, {classCount} classes)";
        }
        var preprocessing = catalogEntry?.Preprocessing
            ?? new ImagePreprocessingOptions { ImageSize = architecture.TrainImageSize, EvalImageSize = architecture.TestImageSize };
        var model = new NFNetModel(architecture, classCount);
        try
        {
            ModelWeights.Load(model, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new ResolvedWeights(model, preprocessing, null, description);
    }

    // The known variant whose parameter names and shapes the file has exactly; else an error naming the closest one.
    private static (NFNetConfig Architecture, int ClassCount) RecogniseArchitecture(SafetensorsHeader header, string path)
    {
        var present = header.Entries.ToDictionary(e => e.Name, e => e.Shape);
        if (!present.TryGetValue(HeadWeight, out var head) || head.Length != 2 || head[0] is < 1 or > int.MaxValue)
            throw new InvalidDataException(
                $"'{path}' has no 2-D '{HeadWeight}' tensor, so it is not NFNet weights with timm's tensor names. {Accepted}");
        var classCount = (int)head[0];
        var closest = (Name: "", Differences: new List<string>());
        foreach (var name in NFNetConfig.KnownVariants)
        {
            var config = NFNetConfig.Variant(name);
            var expected = ModelWeights.ExpectedShapes(config, classCount);
            var differences = expected.Where(e => !present.TryGetValue(e.Key, out var shape) || !shape.SequenceEqual(e.Value))
                .Select(e => present.TryGetValue(e.Key, out var shape)
                    ? $"{e.Key} [{string.Join(", ", shape)}], {name} has [{string.Join(", ", e.Value)}]"
                    : $"{e.Key} missing")
                .Concat(present.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"{k} unexpected"))
                .ToList();
            if (differences.Count == 0)
                return (config, classCount);
            if (closest.Name.Length == 0 || differences.Count < closest.Differences.Count)
                closest = (name, differences);
        }
        throw new InvalidDataException(
            $"'{path}' fits none of the known NFNet architectures ({string.Join(", ", NFNetConfig.KnownVariants)}). The closest is " +
            $"{closest.Name}, with {closest.Differences.Count} differing tensor(s): {string.Join("; ", closest.Differences.Take(5))}" +
            $"{(closest.Differences.Count > 5 ? "; ..." : "")}. For an architecture of your own, pass a model zip saved by this library, " +
            "which records the architecture.");
    }

    private static ResolvedWeights FromModelZip(string path, string optionName)
    {
        var mlContext = new MLContext();
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or InvalidOperationException or IOException
                                      or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{optionName}: '{path}' is a zip file but not an ML.NET model this library can read: {e.Message}", e);
        }
        try
        {
            var transformers = Flatten(loaded).ToList();
            foreach (var transformer in transformers)
            {
                switch (transformer)
                {
                    case NFNetImageFeaturizer featurizer:
                        return new ResolvedWeights(Copy(featurizer.Network.Model), featurizer.Network.Preprocessing, null,
                            $"the featurizer in '{path}'");
                    case NFNetPredictionTransformer classifier:
                        return FromClassifier(classifier.Model, path);
                    case MulticlassPredictionTransformer<NFNetModelParameters> earlierClassifier:
                        return FromClassifier(earlierClassifier.Model, path);
                }
            }
            throw new ArgumentException(
                $"{optionName}: '{path}' is an ML.NET model but holds no NFNet model (its transformers: " +
                $"{string.Join(", ", transformers.Select(t => t.GetType().Name))}). {Accepted}", optionName);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    private static ResolvedWeights FromClassifier(NFNetModelParameters parameters, string path) =>
        new(Copy(parameters.Model), parameters.Preprocessing, parameters.Labels,
            $"the NFNet classifier in '{path}' ({parameters.Architecture.Name}, {parameters.ClassCount} classes)");

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) => transformer is IEnumerable<ITransformer> chain
        ? chain.SelectMany(Flatten)
        : [transformer];

    // A copy the caller owns: the loaded pipeline is disposed, and its network with it.
    private static NFNetModel Copy(NFNetModel model)
    {
        var copy = new NFNetModel(model.Config, model.NumClasses);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (name, tensor) in copy.state_dict())
            tensor.copy_(source[name]);
        return copy;
    }
}

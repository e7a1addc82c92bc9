using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// <c>PretrainedWeights</c>, resolved and checked before the data is read: the file (downloaded if it is a published
/// name), the architecture it holds (an explicit one must agree), its tensors (read and checked for NaN/∞), its head's
/// classes and its preprocessing. <see cref="LoadInto"/> then fills a new model, replacing the head when the classes differ.
/// </summary>
internal sealed class PretrainedStart : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    private PretrainedStart(string description, NFNetConfig architecture, Dictionary<string, Tensor> tensors, int classCount,
        IReadOnlyList<string>? labels, PretrainedPreprocessing? preprocessing)
    {
        Description = description;
        Architecture = architecture;
        this.tensors = tensors;
        ClassCount = classCount;
        Labels = labels;
        Preprocessing = preprocessing;
    }

    /// <summary>How messages and automatic choices name the weights.</summary>
    public string Description { get; }

    /// <summary>The network the weights fit (the explicit <c>Architecture</c> when it agrees with them).</summary>
    public NFNetConfig Architecture { get; }

    /// <summary>Classes of the pretrained head.</summary>
    public int ClassCount { get; }

    /// <summary>Names of the pretrained head's classes, when known.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>How the weights were trained and evaluated, when known.</summary>
    public PretrainedPreprocessing? Preprocessing { get; }

    /// <exception cref="FileNotFoundException">No such file or folder.</exception>
    /// <exception cref="ArgumentException">Not a published name; or <c>Architecture</c> disagrees with the weights.</exception>
    /// <exception cref="InvalidDataException">Not a safetensors file or model zip of this trainer, truncated, NaN/∞ values,
    /// or no known architecture fits.</exception>
    /// <exception cref="HubDownloadException">The published file could not be downloaded (e.g. offline, not cached).</exception>
    /// <param name="value">The weights setting.</param>
    /// <param name="option">The option that holds it, named in errors.</param>
    /// <param name="explicitArchitecture">The architecture the user set, if any.</param>
    /// <param name="download">How a published file is downloaded; null: the <c>HF_*</c> environment.</param>
    /// <param name="log">Receives download notes and progress.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    public static PretrainedStart Resolve(string value, string option, NFNetConfig? explicitArchitecture, HubDownloadOptions? download,
        Action<string>? log, CancellationToken cancellationToken)
    {
        var source = PretrainedSources.Resolve(value, option, download, log, cancellationToken);
        if (source.Kind == PretrainedSourceKind.ModelZip)
            return FromModelZip(source, option, explicitArchitecture);

        using var file = SafetensorsSource.OpenFile(source.Path);
        var header = SafetensorsHeader.Read(file);
        var described = source.Architecture;
        if (described is not null && WeightsArchitecture.Differences(header, described, source.Path) is { Count: > 0 } differences)
            throw new InvalidDataException(
                $"{Describe(source)} states the architecture {WeightsArchitecture.NameOf(described)}, but '{source.Path}' does not fit it: " +
                $"{WeightsArchitecture.Describe(differences)}. The weights and {(source.ConfigPath is null ? "their description" : $"'{source.ConfigPath}'")} do not belong together.");
        var architecture = described is not null
            ? Agree(explicitArchitecture, described, source.Description)
            : explicitArchitecture is not null
                ? Fits(explicitArchitecture, header, source)
                : WeightsArchitecture.Infer(header, source.Path).Config;
        var classifier = header.Entries.FirstOrDefault(e => e.Name == WeightsArchitecture.ClassifierWeight);
        var classCount = (int)(classifier?.Shape[0] ?? 0);
        var loaded = Safetensors.Load(file, header);
        try
        {
            foreach (var (name, tensor) in loaded)
                ModelWeights.EnsureFinite(tensor, name, () => ModelWeights.NonFinite(source.Path, name));
        }
        catch
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
            throw;
        }
        var labels = source.Labels is { } names && names.Count == classCount ? names : null;
        // A bare file of a published architecture gets that architecture's published preprocessing.
        var preprocessing = source.Preprocessing
            ?? (NFNetPretrained.All.FirstOrDefault(w => w.Architecture == architecture) is { } published
                ? PretrainedPreprocessing.Of(published)
                : null);
        return new PretrainedStart(source.Description, architecture, loaded, classCount, labels, preprocessing);
    }

    /// <summary>
    /// Copies the weights into <paramref name="model"/> (built with <see cref="Architecture"/>): all of them when the
    /// pretrained head has the model's classes (reordered when both sides name them in another order), otherwise
    /// everything but the head, which keeps its fresh timm initialisation (N(0, 0.01) weights, zero bias).
    /// </summary>
    /// <returns>What happened to the head, for the log.</returns>
    public string LoadInto(NFNetModel model, IReadOnlyList<string>? labels)
    {
        var state = model.state_dict();
        long[]? order = null;
        var keepHead = ClassCount == model.NumClasses && tensors.ContainsKey(WeightsArchitecture.ClassifierWeight);
        if (keepHead && Labels is not null && labels is not null && !Labels.SequenceEqual(labels))
        {
            var position = Labels.Select((name, index) => (name, index)).GroupBy(p => p.name).ToDictionary(g => g.Key, g => g.First().index);
            keepHead = labels.Distinct().Count() == labels.Count && labels.All(position.ContainsKey);
            order = keepHead ? labels.Select(name => (long)position[name]).ToArray() : null;
        }
        using (no_grad())
        {
            foreach (var (name, target) in state)
            {
                if (ModelWeights.IsClassifier(name) && !keepHead)
                    continue;
                if (!tensors.TryGetValue(name, out var value))
                    throw new InvalidDataException($"{Description} lacks the tensor '{name}'.");
                if (order is not null && ModelWeights.IsClassifier(name))
                {
                    using var index = tensor(order);
                    using var reordered = value.index_select(0, index);
                    target.copy_(reordered);
                }
                else
                {
                    target.copy_(value);
                }
            }
        }
        return keepHead
            ? order is null
                ? $"Kept the pretrained classifier of {Description} ({ClassCount} classes, as in the data)."
                : $"Kept the pretrained classifier of {Description}, its {ClassCount} classes reordered to the data's key order."
            : $"Replaced the classifier of {Description} ({(ClassCount > 0 ? $"{ClassCount} classes" : "none")}) with a new one " +
              $"for the data's {model.NumClasses} classes (timm's initialisation: N(0, 0.01) weights, zero bias).";
    }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }

    private static PretrainedStart FromModelZip(PretrainedSource source, string option, NFNetConfig? explicitArchitecture)
    {
        ITransformer transformer;
        try
        {
            transformer = new MLContext().Model.Load(source.Path, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw ModelZipLoadError.Describe(e, source.Path, option, PretrainedSources.Accepted);
        }
        try
        {
            var all = Transformers(transformer).ToList();
            // A classifier (this trainer's, or an earlier version's MulticlassPredictionTransformer), else a featurizer.
            var (network, labels, preprocessing, what) = all.OfType<IPredictionTransformer<NFNetModelParameters>>().FirstOrDefault()?.Model is { } parameters
                ? (parameters.Network, parameters.Labels, parameters.Preprocessing, $"the NFNet classifier in '{source.Path}'")
                : all.OfType<NFNetImageFeaturizer>().FirstOrDefault() is { } featurizer
                    ? (featurizer.Network, null, featurizer.Network.Preprocessing, $"the NFNet featurizer in '{source.Path}'")
                    : throw new ArgumentException(
                        $"{option}: '{source.Path}' is an ML.NET model but holds no NFNet model (its transformers: " +
                        $"{string.Join(", ", all.Select(t => Name(t.GetType())).Distinct())}). {option} takes {PretrainedSources.Accepted}.",
                        option);
            return network.WithModel(model =>
            {
                var architecture = Agree(explicitArchitecture, model.Config, what);
                var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone());
                return new PretrainedStart(what, architecture, tensors, model.NumClasses, labels, PretrainedPreprocessing.Of(preprocessing));
            });
        }
        finally
        {
            // The loaded pipeline owns the network's native memory; the weights were copied.
            (transformer as IDisposable)?.Dispose();
        }
    }

    private static IEnumerable<ITransformer> Transformers(ITransformer transformer)
    {
        yield return transformer;
        if (transformer is IEnumerable<ITransformer> chain)
            foreach (var inner in chain.SelectMany(Transformers))
                yield return inner;
    }

    private static string Name(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>"
        : type.Name;

    private static string Describe(PretrainedSource source) => source.Kind == PretrainedSourceKind.Catalog
        ? $"The catalog entry of {source.Description}"
        : $"'{source.ConfigPath}'";

    /// <summary>The explicit architecture when it is the described one but for regularization (drop rates) and the
    /// recommended sizes; otherwise an error naming both.</summary>
    private static NFNetConfig Agree(NFNetConfig? explicitArchitecture, NFNetConfig described, string source)
    {
        if (explicitArchitecture is null)
            return described;
        var differences = ArchitectureDifferences(explicitArchitecture, described);
        if (differences.Count == 0)
            return explicitArchitecture;
        throw new ArgumentException(
            $"Options.Architecture ({explicitArchitecture.Name}) disagrees with {source}, which holds {WeightsArchitecture.NameOf(described)} " +
            $"weights: {string.Join(", ", differences)}. Leave Architecture null (it follows from the weights), or change only " +
            "DropRate / DropPathRate.", nameof(NFNetImageClassificationTrainer.Options.Architecture));
    }

    /// <summary>The explicit architecture when the file's tensors fit it; otherwise an error naming both.</summary>
    private static NFNetConfig Fits(NFNetConfig explicitArchitecture, SafetensorsHeader header, PretrainedSource source)
    {
        var differences = WeightsArchitecture.Differences(header, explicitArchitecture, source.Path);
        if (differences.Count == 0)
            return explicitArchitecture;
        string holds;
        try
        {
            holds = $"holds {WeightsArchitecture.NameOf(WeightsArchitecture.Infer(header, source.Path).Config)} weights";
        }
        catch (InvalidDataException)
        {
            holds = "holds weights of no known variant";
        }
        throw new ArgumentException(
            $"Options.Architecture ({explicitArchitecture.Name}) disagrees with {source.Description}, which {holds}: " +
            $"{WeightsArchitecture.Describe(differences)}. Leave Architecture null to use the architecture the weights fit.",
            nameof(NFNetImageClassificationTrainer.Options.Architecture));
    }

    // The architecture fields that change the network, compared one by one so the message can name them.
    private static List<string> ArchitectureDifferences(NFNetConfig given, NFNetConfig described)
    {
        string[] ignored = [nameof(NFNetConfig.Name), nameof(NFNetConfig.DropRate), nameof(NFNetConfig.DropPathRate),
            nameof(NFNetConfig.TrainImageSize), nameof(NFNetConfig.TestImageSize), nameof(NFNetConfig.MinimumImageSize)];
        return typeof(NFNetConfig).GetProperties()
            .Where(p => !ignored.Contains(p.Name))
            .Select(p => (p.Name, Given: Text(p.GetValue(given)), Described: Text(p.GetValue(described))))
            .Where(p => p.Given != p.Described)
            .Select(p => $"{p.Name} {p.Given} vs {p.Described}")
            .ToList();
    }

    private static string Text(object? value) => value is IEnumerable<int> list ? $"[{string.Join(", ", list)}]" : Convert.ToString(value,
        System.Globalization.CultureInfo.InvariantCulture) ?? "null";
}

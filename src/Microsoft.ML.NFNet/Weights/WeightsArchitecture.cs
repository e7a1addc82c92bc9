using System.Collections.Concurrent;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Which architecture a weights file (timm names) belongs to, from its tensor names and shapes alone: compared with
/// every known variant (<see cref="NFNetConfig.KnownVariants"/>, <c>nfnet_tiny</c> included) built on the meta device.
/// The classifier <c>head.fc</c> is compared by its feature width only, since its class count is the file's own.
/// </summary>
internal static class WeightsArchitecture
{
    public const string ClassifierWeight = "head.fc.weight";
    public const string ClassifierBias = "head.fc.bias";

    private static readonly ConcurrentDictionary<NFNetConfig, IReadOnlyDictionary<string, long[]>> ShapeCache = new();

    /// <summary>One entry per distinct published configuration, under the name timm uses where it has one.</summary>
    private static readonly Lazy<(string Name, NFNetConfig Config)[]> Known = new(() => NFNetConfig.KnownVariants
        .Select(name => (Name: name, Config: NFNetConfig.Variant(name)))
        .GroupBy(v => v.Config)
        .Select(g => g.OrderBy(v => v.Name.StartsWith("dm_", StringComparison.Ordinal) ? 0 : 1).ThenBy(v => v.Name, StringComparer.Ordinal).First())
        .ToArray());

    /// <summary>The architecture and class count of the weights described by <paramref name="header"/>.</summary>
    /// <exception cref="InvalidDataException">No known variant fits; the message names the closest one and how it differs.</exception>
    public static (NFNetConfig Config, int ClassCount) Infer(SafetensorsHeader header, string path) => Infer(Tensors(header, path), path);

    /// <summary>As <see cref="Infer(SafetensorsHeader, string)"/>, from tensor names and shapes.</summary>
    public static (NFNetConfig Config, int ClassCount) Infer(IReadOnlyDictionary<string, long[]> file, string path)
    {
        if (!file.TryGetValue(ClassifierWeight, out var head) || head.Length != 2)
            throw new InvalidDataException($"'{path}' has no 2-D classifier '{ClassifierWeight}'.");
        var classCount = (int)head[0];
        var depths = StageDepths(file.Keys);
        var exact = Known.Value.Where(v => v.Config.Depths.SequenceEqual(depths))
            .FirstOrDefault(v => Differences(file, v.Config) is { Count: 0 });
        if (exact.Config is not null)
            return (exact.Config, classCount);

        var (name, config) = Known.Value.MaxBy(v => Similarity(file, v.Config));
        throw new InvalidDataException(
            $"'{path}' holds NFNet weights (timm names) but fits none of the known NFNet architectures ({KnownList()}). The closest is {name}: " +
            $"{Describe(Differences(file, config))}. If the weights are of a custom architecture, set " +
            "NFNetImageClassificationTrainer.Options.Architecture to the NFNetConfig they were saved with, or pass a model zip or an " +
            "ExportTimm folder, which record the architecture.");
    }

    /// <summary>How the file's tensors differ from <paramref name="config"/> (the classifier by width only); empty when
    /// they fit.</summary>
    public static IReadOnlyList<string> Differences(SafetensorsHeader header, NFNetConfig config, string path) =>
        Differences(Tensors(header, path), config);

    /// <summary>The differences as one phrase for an error message.</summary>
    public static string Describe(IReadOnlyList<string> differences) =>
        differences.Count == 0 ? "no differences"
        : string.Join("; ", differences.Take(6)) + (differences.Count > 6 ? $"; and {differences.Count - 6} more" : "");

    /// <summary>The display name of a configuration: the published variant's name when it is one, else its own name.</summary>
    public static string NameOf(NFNetConfig config) =>
        Known.Value.FirstOrDefault(v => v.Config.Equals(config)).Name ?? config.Name;

    /// <summary>The parameter shapes of <paramref name="config"/> with one class (computed once per configuration).</summary>
    public static IReadOnlyDictionary<string, long[]> ShapesOf(NFNetConfig config) =>
        ShapeCache.GetOrAdd(config, c => ModelWeights.ExpectedShapes(c, classCount: 1));

    private static Dictionary<string, long[]> Tensors(SafetensorsHeader header, string path)
    {
        var file = header.Entries.ToDictionary(e => e.Name, e => e.Shape);
        if (!file.TryGetValue(ClassifierWeight, out var classifier) || classifier.Length != 2)
            throw new InvalidDataException(
                $"'{path}' is a safetensors file but not NFNet weights with timm's names: it has no 2-D classifier " +
                $"'{ClassifierWeight}' ({header.Entries.Count} tensors, e.g. {string.Join(", ", file.Keys.Take(3))}).");
        return file;
    }

    private static int[] StageDepths(IEnumerable<string> names) => names
        .Select(n => n.Split('.'))
        .Where(p => p.Length > 3 && p[0] == "stages" && int.TryParse(p[1], out _) && int.TryParse(p[2], out _))
        .Select(p => (Stage: int.Parse(p[1]), Block: int.Parse(p[2])))
        .Distinct()
        .GroupBy(p => p.Stage)
        .OrderBy(g => g.Key)
        .Select(g => g.Count())
        .ToArray();

    private static List<string> Differences(IReadOnlyDictionary<string, long[]> file, NFNetConfig config)
    {
        var expected = ShapesOf(config);
        var differences = new List<string>();
        var missing = expected.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = file.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            differences.Add($"{missing.Count} tensor(s) missing from the file ({string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? ", ..." : "")})");
        if (unexpected.Count > 0)
            differences.Add($"{unexpected.Count} tensor(s) it does not have ({string.Join(", ", unexpected.Take(3))}{(unexpected.Count > 3 ? ", ..." : "")})");
        foreach (var (name, shape) in expected)
        {
            if (!file.TryGetValue(name, out var actual))
                continue;
            var same = name is ClassifierWeight ? actual.Length == 2 && actual[1] == shape[1]
                : name is ClassifierBias ? actual.Length == 1
                : actual.SequenceEqual(shape);
            if (!same)
                differences.Add($"'{name}' is [{string.Join(", ", actual)}] in the file, [{string.Join(", ", name is ClassifierWeight or ClassifierBias ? ["classes", .. shape.Skip(1).Select(d => d.ToString())] : shape.Select(d => d.ToString()))}] in {config.Name}");
        }
        return differences;
    }

    // Tensors with the same name and shape, over all tensors of both.
    private static double Similarity(IReadOnlyDictionary<string, long[]> file, NFNetConfig config)
    {
        var expected = ShapesOf(config);
        var same = expected.Count(kv => file.TryGetValue(kv.Key, out var shape) && (kv.Key.StartsWith("head.fc.", StringComparison.Ordinal)
            ? shape.Skip(1).SequenceEqual(kv.Value.Skip(1)) : shape.SequenceEqual(kv.Value)));
        return (double)same / (file.Count + expected.Count - same);
    }

    private static string KnownList() => string.Join(", ", Known.Value.Select(v => v.Name));
}

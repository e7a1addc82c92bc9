using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Transfer;
using ModelInput = Microsoft.ML.NFNet.Samples.MLModel.ModelInput;

namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>
/// Which Fashion-MNIST classes a transfer experiment pretrains on and which new ones it then learns: the shipped demo's
/// 0–4 / 5–9, or another split (<c>--pretrain-classes</c>) whose images come from the official IDX files.
/// </summary>
internal sealed record ClassSplit(IReadOnlySet<string> Pretraining, IReadOnlySet<string> New)
{
    /// <summary>The demo's split: what the shipped weights and the embedded images are.</summary>
    public static ClassSplit Shipped { get; } = new(FashionMnistTransfer.PretrainingClasses, FashionMnistTransfer.NewClasses);

    /// <summary>Pretrains on <paramref name="labels"/> (official labels 0–9); the others are new.</summary>
    public static ClassSplit FromPretrainingLabels(IReadOnlyCollection<int> labels)
    {
        if (labels.Distinct().Count() != labels.Count || labels.Count is < 2 or > 8)
            throw new UsageException($"--pretrain-classes needs 2 to 8 distinct labels of 0–9 (got {string.Join(",", labels)}), so that " +
                                     "at least two classes are left to learn.");
        var names = FashionMnistFiles.ClassNames;
        return new(labels.Select(l => names[l]).ToHashSet(), names.Where((_, l) => !labels.Contains(l)).ToHashSet());
    }

    public bool IsShipped => Pretraining.SetEquals(Shipped.Pretraining);

    public IReadOnlySet<int> PretrainingLabels => Labels(Pretraining);

    public IReadOnlySet<int> NewLabels => Labels(New);

    /// <summary><paramref name="perClass"/> images of each new class drawn from <paramref name="official"/> for one seed
    /// (the same seed gives nested draws for growing counts).</summary>
    public List<ModelInput> Draw(IReadOnlyList<PixelImage> official, int perClass, int seed)
    {
        var random = new Random(seed);
        var chosen = new List<PixelImage>();
        foreach (var label in NewLabels.Order())
        {
            var images = official.Where(i => i.Label == label).ToArray();
            random.Shuffle(images);
            chosen.AddRange(images.Take(perClass));
        }
        return SmallDataRow.Encode(chosen);
    }

    public override string ToString() => $"pretrained on {string.Join(", ", Pretraining)}; new: {string.Join(", ", New)}";

    private static HashSet<int> Labels(IReadOnlySet<string> names) =>
        names.Select(name => Array.IndexOf(FashionMnistFiles.ClassNames, name)).ToHashSet();
}

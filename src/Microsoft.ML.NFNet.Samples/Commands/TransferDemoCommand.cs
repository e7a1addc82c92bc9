using System.CommandLine;
using System.Globalization;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Transfer;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// <c>transfer-demo</c>: transfer learning, offline, on shipped data. nfnet_tiny weights pretrained on five Fashion-MNIST
/// classes (<c>Data/Pretrained</c>) are fine-tuned on the five others with a few images per class, and compared with
/// training from scratch on the same images, with training only the last stage or the head, and with the backbone's
/// features in ML.NET's LbfgsMaximumEntropy. Every mode uses the trainer's automatic settings. Each seed draws its own
/// training images from all embedded images of the new classes and tests on all the others, so the table reports a mean
/// and a spread instead of one noisy draw.
/// </summary>
internal sealed class TransferDemoCommand : System.CommandLine.Command
{
    private static readonly Dictionary<string, TransferMode> ModeNames = Enum.GetValues<TransferMode>()
        .ToDictionary(m => m.ToString().ToLowerInvariant(), m => m, StringComparer.OrdinalIgnoreCase);

    private readonly Option<int[]> perClass = CliOptions.List("--per-class",
        "Training images per new class (at most 150; the rest of the 260–283 embedded images per class are the test set)",
        ValueParsers.Int(1, 150), "n", "10,25,100");
    private readonly Option<TransferMode[]> modes = CliOptions.List("--modes",
        $"What to compare: {string.Join(", ", ModeNames.Keys)}", ValueParsers.OneOf(ModeNames), "mode", "all");
    private readonly Option<int[]> seeds = CliOptions.List("--seeds",
        "Random seeds: one draw of training images and one training run each", ValueParsers.Int(), "n", "1,2,3");

    public TransferDemoCommand() : base("transfer-demo",
        "Transfer learning on Fashion-MNIST, offline: nfnet_tiny pretrained on five classes (shipped) is fine-tuned on the " +
        "five others with a few images per class, and compared with training from scratch, the last stage or the head " +
        "only, and its features in LbfgsMaximumEntropy; mean and spread over seeds. Takes about 17 minutes a seed on a " +
        "2-core CPU: --seeds 1 --per-class 10 for a quick look.")
    {
        Options.Add(perClass);
        Options.Add(modes);
        Options.Add(seeds);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What the command is asked to do.</summary>
    public sealed record Request(int[] PerClass, TransferMode[] Modes, int[] Seeds);

    public Request Bind(ParseResult result) => new(
        result.GetValue(perClass) is { Length: > 0 } counts ? counts : [10, 25, 100],
        result.GetValue(modes) is { Length: > 0 } chosen ? chosen : Enum.GetValues<TransferMode>(),
        result.GetValue(seeds) is { Length: > 0 } chosenSeeds ? chosenSeeds.Distinct().ToArray() : [1, 2, 3]);

    private static int Run(Request request)
    {
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var weights = Path.Combine(AppContext.BaseDirectory, FashionMnistTransfer.ShippedWeights);
        var shape = PretrainedShape.Read(weights);
        var images = FashionMnistTransfer.NewClassImages(dataRoot);
        AnsiConsole.MarkupLine($"Pretrained: {shape.Architecture.Name} on {string.Join(", ", FashionMnistTransfer.PretrainingClasses)} " +
            $"({shape.ImageSize} px). New classes: {string.Join(", ", FashionMnistTransfer.NewClasses)}; {images.Count} images, " +
            $"seeds {string.Join(", ", request.Seeds)}.");

        var results = new List<TransferResult>();
        var testCounts = new Dictionary<int, int>();
        foreach (var count in request.PerClass)
        {
            foreach (var seed in request.Seeds)
            {
                var (train, test) = FashionMnistTransfer.RandomSplit(images, count, seed);
                testCounts[count] = test.Count;
                var experiment = new TransferExperiment(weights, shape, test, seed);
                foreach (var mode in request.Modes)
                {
                    AnsiConsole.MarkupLine($"[grey]{count} images per class, seed {seed}: {mode.Title()}...[/]");
                    var result = experiment.Run(mode, train, count);
                    AnsiConsole.MarkupLine($"[grey]  {result.Accuracy:P1} on {test.Count} test images ({result.Duration.TotalSeconds:0.0} s)[/]");
                    results.Add(result);
                }
            }
        }
        AnsiConsole.Write(Table(TransferSummary.Of(results), testCounts, request.Seeds.Length));
        return 0;
    }

    private static Table Table(IEnumerable<TransferSummary> rows, IReadOnlyDictionary<int, int> testCounts, int seedCount)
    {
        var table = new Table().Title($"Test accuracy on the 5 new classes, mean over {seedCount} seed(s) (each seed: its own training draw, tested on all other images)")
            .AddColumns("images / class", "test images per seed", "mode", "mean", "min – max", "sd", "training time", "epochs");
        foreach (var row in rows)
            table.AddRow(row.PerClass.ToString(CultureInfo.InvariantCulture), testCounts[row.PerClass].ToString("N0", CultureInfo.InvariantCulture),
                row.Mode.Title(), $"{row.Mean:P1}", $"{row.Min:P1} – {row.Max:P1}", $"{row.StandardDeviation * 100:0.0}",
                $"{row.MeanDuration.TotalSeconds:0.0} s", row.Mode == TransferMode.Features ? "–" : row.MeanEpochs.ToString("0", CultureInfo.InvariantCulture));
        return table;
    }
}

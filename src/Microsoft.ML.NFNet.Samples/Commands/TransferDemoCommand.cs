using System.CommandLine;
using System.Globalization;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Transfer;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// <c>transfer-demo</c>: transfer learning, offline, on shipped data. nfnet_tiny weights pretrained on five Fashion-MNIST
/// classes (<c>Data/Pretrained</c>) are fine-tuned on the five others with a few images per class, and compared with
/// training from scratch on the same images for the same time, with training only the last stage or the head, and with
/// the backbone's features in ML.NET's LbfgsMaximumEntropy. Every mode uses the trainer's automatic settings.
/// </summary>
internal sealed class TransferDemoCommand : System.CommandLine.Command
{
    private static readonly Dictionary<string, TransferMode> ModeNames = Enum.GetValues<TransferMode>()
        .ToDictionary(m => m.ToString().ToLowerInvariant(), m => m, StringComparer.OrdinalIgnoreCase);

    private readonly Option<int[]> perClass = CliOptions.List("--per-class",
        "Training images per new class (at most 150: the embedded subset)", ValueParsers.Int(1, 150), "n", "10,25,100");
    private readonly Option<TransferMode[]> modes = CliOptions.List("--modes",
        $"What to compare: {string.Join(", ", ModeNames.Keys)}", ValueParsers.OneOf(ModeNames), "mode", "all");
    private readonly Option<int> seed = CliOptions.Single("--seed", "Random seed", ValueParsers.Int(), "n", () => 1);

    public TransferDemoCommand() : base("transfer-demo",
        "Transfer learning on Fashion-MNIST, offline: nfnet_tiny pretrained on five classes (shipped) is fine-tuned on the " +
        "five others with a few images per class, and compared with training from scratch (same images, same time), the " +
        "last stage or the head only, and its features in LbfgsMaximumEntropy.")
    {
        Options.Add(perClass);
        Options.Add(modes);
        Options.Add(seed);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What the command is asked to do.</summary>
    public sealed record Request(int[] PerClass, TransferMode[] Modes, int Seed);

    public Request Bind(ParseResult result) => new(
        result.GetValue(perClass) is { Length: > 0 } counts ? counts : [10, 25, 100],
        result.GetValue(modes) is { Length: > 0 } chosen ? chosen : Enum.GetValues<TransferMode>(),
        result.GetValue(seed));

    private static int Run(Request request)
    {
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var weights = Path.Combine(AppContext.BaseDirectory, FashionMnistTransfer.ShippedWeights);
        var shape = PretrainedShape.Read(weights);
        var train = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist"));
        var test = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnistTest"))
            .Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).ToList();
        AnsiConsole.MarkupLine($"Pretrained: {shape.Architecture.Name} on {string.Join(", ", FashionMnistTransfer.PretrainingClasses)} " +
            $"({shape.ImageSize} px). New classes: {string.Join(", ", FashionMnistTransfer.NewClasses)}; {test.Count} test images.");

        var experiment = new TransferExperiment(weights, shape, test, request.Seed);
        var table = new Table().Title($"Accuracy on {test.Count} test images of the 5 new classes")
            .AddColumns("images / class", "mode", "test accuracy", "training time", "epochs");
        foreach (var count in request.PerClass)
        {
            var subset = FashionMnistTransfer.FirstPerClass(train, count);
            int? fullEpochs = null;
            // Full fine-tuning first: from scratch then gets as many epochs at the same resolution, i.e. the same work.
            foreach (var mode in request.Modes.OrderBy(m => m == TransferMode.Full ? 0 : m == TransferMode.Scratch ? 1 : 2))
            {
                AnsiConsole.MarkupLine($"[grey]{count} images per class: {mode.Title()}...[/]");
                var result = experiment.Run(mode, subset, count, fullEpochs);
                if (mode == TransferMode.Full)
                    fullEpochs = result.Epochs;
                table.AddRow(count.ToString(CultureInfo.InvariantCulture), mode.Title(), $"{result.Accuracy:P1}",
                    $"{result.Duration.TotalSeconds:0.0} s", mode == TransferMode.Features ? "–" : result.Epochs.ToString(CultureInfo.InvariantCulture));
            }
        }
        AnsiConsole.Write(table);
        return 0;
    }
}

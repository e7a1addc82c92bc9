using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Samples;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Transfer;
using Spectre.Console;
using ModelInput = Microsoft.ML.NFNet.Samples.MLModel.ModelInput;

namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>
/// <c>transfer</c>: the measurements behind docs/transfer-learning.md. The sample's transfer demo
/// (<see cref="TransferExperiment"/>) with overrides of the automatic settings, scored on the official test split
/// (<c>--fashion-mnist</c>) or on held-out training images (<c>--tune</c>), with the machine's load and a RESULT line per
/// run. With <c>--remake-pretrained</c> it instead pretrains the shipped weights from the official IDX files.
/// </summary>
internal sealed class TransferBenchCommand : System.CommandLine.Command
{
    private static readonly Dictionary<string, TransferMode> ModeNames = Enum.GetValues<TransferMode>()
        .ToDictionary(m => m.ToString().ToLowerInvariant(), m => m, StringComparer.OrdinalIgnoreCase);
    private static readonly JsonSerializerOptions ResultJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Option<int[]> perClass = CliOptions.List("--per-class", "Training images per new class (at most 150: the embedded subset)",
        ValueParsers.Int(1, 150), "n", "10,25,100");
    private readonly Option<TransferMode[]> modes = CliOptions.List("--modes", $"What to compare: {string.Join(", ", ModeNames.Keys)}",
        ValueParsers.OneOf(ModeNames), "mode", "all");
    private readonly Option<string?> fashionMnist = CliOptions.Single<string?>("--fashion-mnist",
        "Folder of the official IDX files (Debian: /usr/share/datasets/fashion-mnist): test on all 5,000 official test images of the new classes instead of the embedded 150",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<string?> pretrained = CliOptions.Single<string?>("--pretrained",
        $"The pretrained weights (a PretrainedWeights value) [default: the shipped {FashionMnistTransfer.ShippedWeights}]", text => text, "weights");
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for transfer-results.json and .md", text => text, "dir",
        () => "transfer-results");
    private readonly Option<int> seed = CliOptions.Single("--seed", "Random seed", ValueParsers.Int(), "n", () => 1);
    private readonly Option<double?> learningRate = CliOptions.Single<double?>("--learning-rate", "Override the automatic peak learning rate",
        text => ValueParsers.Double(1e-6, 10)(text), "rate");
    private readonly Option<int?> epochs = CliOptions.Single<int?>("--epochs", "Override the automatic epochs", text => ValueParsers.Int(1, 1000)(text), "n");
    private readonly Option<double?> backboneFactor = CliOptions.Single<double?>("--backbone-factor",
        "Override the automatic backbone learning-rate factor, in (0, 1]", text => ValueParsers.Double(1e-6, 1)(text), "factor");
    private readonly Option<double?> warmup = CliOptions.Single<double?>("--warmup-epochs", "Override the automatic warm-up",
        text => ValueParsers.Double(0, 100)(text), "epochs");
    private readonly Option<double?> cropScaleMin = CliOptions.Single<double?>("--crop-scale-min", "Override the automatic smallest crop area",
        text => ValueParsers.Double(0.01, 1)(text), "fraction");
    private readonly Option<bool> noAugmentation = new("--no-augmentation") { Description = "No random crops or flips (head-only training then caches the features)" };
    private readonly Option<bool> tune = new("--tune")
    {
        Description = "Score on the embedded training images 101–150 of each new class (never trained on) instead of test images: for choosing settings without looking at the test set",
    };
    private readonly Option<int?> threads = CliOptions.Single<int?>("--threads",
        "Torch intra-op threads [default: libtorch's, one per core]; 1 keeps timings steady on a machine shared with other work",
        text => ValueParsers.Int(1, 256)(text), "n");
    private readonly Option<bool> verbose = new("--verbose") { Description = "Print the trainer's log (automatic choices, head, download, epochs) with times" };
    private readonly Option<string?> remake = CliOptions.Single<string?>("--remake-pretrained",
        "Instead of the comparison: pretrain nfnet_tiny on the five first classes of --fashion-mnist's training split and export it here", text => text, "dir");
    private readonly Option<int> pretrainEpochs = CliOptions.Single("--pretrain-epochs", "Epochs of --remake-pretrained", ValueParsers.Int(1, 100), "n", () => 6);

    public TransferBenchCommand() : base("transfer",
        "The transfer-learning measurements: the sample's transfer demo with overrides of the automatic settings, on the " +
        "official test split or held-out training images, with load averages and RESULT lines; or --remake-pretrained.")
    {
        foreach (var option in new Option[] { perClass, modes, fashionMnist, pretrained, output, seed, learningRate, epochs, backboneFactor,
                     warmup, cropScaleMin, noAugmentation, tune, verbose, threads, remake, pretrainEpochs })
            Options.Add(option);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What the command is asked to do.</summary>
    public sealed record Request(int[] PerClass, TransferMode[] Modes, string? FashionMnist, string? Pretrained, string Output, int Seed,
        TransferOverrides Overrides, string? Remake, int PretrainEpochs, bool Tune = false, bool Verbose = false, int? Threads = null);

    public Request Bind(ParseResult result) => new(
        result.GetValue(perClass) is { Length: > 0 } counts ? counts : [10, 25, 100],
        result.GetValue(modes) is { Length: > 0 } chosen ? chosen : Enum.GetValues<TransferMode>(),
        result.GetValue(fashionMnist), result.GetValue(pretrained), result.GetValue(output)!, result.GetValue(seed),
        new TransferOverrides(result.GetValue(learningRate), result.GetValue(epochs), result.GetValue(backboneFactor), result.GetValue(warmup),
            result.GetValue(cropScaleMin), result.GetValue(noAugmentation)),
        result.GetValue(remake), result.GetValue(pretrainEpochs), result.GetValue(tune), result.GetValue(verbose), result.GetValue(threads));

    private static int Run(Request request)
    {
        if (request.Threads is { } threadCount)
            TorchSharp.torch.set_num_threads(threadCount);
        if (request.Remake is { } target)
            return Pretraining.Run(target, request.FashionMnist
                ?? throw new UsageException("--remake-pretrained needs --fashion-mnist (the official IDX files)."), request.PretrainEpochs, request.Seed);
        if (request.Tune && request.PerClass.Any(n => n > 100))
            throw new UsageException("--tune scores on the images after the first 100 of each class: use --per-class of at most 100.");
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var weights = request.Pretrained ?? Path.Combine(AppContext.BaseDirectory, FashionMnistTransfer.ShippedWeights);
        var shape = PretrainedShape.Read(weights);
        var train = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist"));
        var test = request.Tune
            ? train.Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).GroupBy(i => i.Label).SelectMany(g => g.Skip(100)).ToList()
            : request.FashionMnist is { } idx
                ? OfficialTestImages(idx)
                : MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnistTest")).Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).ToList();
        AnsiConsole.MarkupLine($"Pretrained: [bold]{Markup.Escape(weights)}[/] ({shape.Architecture.Name}, {shape.ClassCount} classes, " +
            $"{shape.ImageSize} px). New classes: {string.Join(", ", FashionMnistTransfer.NewClasses)}; test: {test.Count} images " +
            $"({(request.Tune ? "held-out training images, --tune" : request.FashionMnist is null ? "embedded subset" : "official test split")}).");

        var experiment = new TransferExperiment(weights, shape, test, request.Seed)
        {
            Configure = (mode, mlContext, options) =>
            {
                request.Overrides.Apply(options.Training, fromScratch: mode == TransferMode.Scratch);
                if (request.Verbose)
                    Log(mlContext);
            },
        };
        var rows = new List<Row>();
        foreach (var count in request.PerClass)
        {
            var subset = FashionMnistTransfer.FirstPerClass(train, count);
            int? fullEpochs = null;
            // Full fine-tuning first: from scratch then gets as many epochs at the same resolution, i.e. the same time.
            foreach (var mode in request.Modes.OrderBy(m => m == TransferMode.Full ? 0 : m == TransferMode.Scratch ? 1 : 2))
            {
                var loadBefore = LoadAverages();
                var result = experiment.Run(mode, subset, count, request.Overrides.Epochs is null ? fullEpochs : null);
                if (mode == TransferMode.Full)
                    fullEpochs = result.Epochs;
                var row = new Row(result, mode == TransferMode.Features ? "NFNetFeaturizeImage, NormalizeMeanVariance, LbfgsMaximumEntropy defaults"
                    : request.Overrides.Describe(result.AutomaticChoices), loadBefore, LoadAverages());
                rows.Add(row);
                Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
                {
                    mode = mode.ToString(), per_class = count, accuracy = Math.Round(result.Accuracy, 4),
                    seconds = Math.Round(result.Duration.TotalSeconds, 1), result.Epochs, settings = row.Settings,
                    load_before = row.LoadBefore, load_after = row.LoadAfter,
                }, ResultJson));
            }
        }
        Print(rows, test.Count);
        Save(request, rows, test.Count);
        return 0;
    }

    /// <summary>One measured run with its settings and the load averages (1/5/15 min) before and after.</summary>
    private sealed record Row(TransferResult Result, string Settings, string LoadBefore, string LoadAfter);

    private static List<ModelInput> OfficialTestImages(string folder)
    {
        var newLabels = FashionMnistTransfer.NewClasses.Select(name => Array.IndexOf(FashionMnistFiles.ClassNames, name)).ToHashSet();
        return SmallDataRow.Encode(FashionMnistFiles.Load(folder).Test.Where(i => newLabels.Contains(i.Label)));
    }

    private static void Log(MLContext mlContext)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        mlContext.Log += (_, e) =>
        {
            if (e.Kind != Runtime.ChannelMessageKind.Trace && e.Source.Contains("NFNet", StringComparison.Ordinal))
                Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,6:0.0} s] {e.Message}");
        };
    }

    private static void Print(IReadOnlyList<Row> rows, int testCount)
    {
        var table = new Table().Title($"Accuracy on {testCount} test images of the 5 new classes").AddColumns("images / class", "mode",
            "test accuracy", "training time", "epochs", "settings", "load avg (1/5/15 min) before → after");
        foreach (var (r, settings, before, after) in rows)
            table.AddRow(r.PerClass.ToString(CultureInfo.InvariantCulture), r.Mode.Title(), $"{r.Accuracy:P1}",
                $"{r.Duration.TotalSeconds:0.0} s", r.Mode == TransferMode.Features ? "–" : r.Epochs.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(settings), $"{before} → {after}");
        AnsiConsole.Write(table);
    }

    private static void Save(Request request, IReadOnlyList<Row> rows, int testCount)
    {
        Directory.CreateDirectory(request.Output);
        File.WriteAllText(Path.Combine(request.Output, "transfer-results.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        var lines = new List<string>
        {
            $"| images / class | {string.Join(" | ", request.Modes.Select(m => m.Title()))} |",
            $"|---|{string.Join("", request.Modes.Select(_ => "---|"))}",
        };
        foreach (var group in rows.Select(r => r.Result).GroupBy(r => r.PerClass))
            lines.Add($"| {group.Key} | {string.Join(" | ", request.Modes.Select(m => group.FirstOrDefault(r => r.Mode == m) is { } r ? $"{r.Accuracy:P1} ({r.Duration.TotalSeconds:0} s)" : ""))} |");
        lines.Add("");
        lines.Add($"Test images: {testCount}. Settings: {request.Overrides}.");
        File.WriteAllLines(Path.Combine(request.Output, "transfer-results.md"), lines);
        AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.Combine(request.Output, "transfer-results.md"))}[/].");
    }

    private static string LoadAverages()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Consumption;
using Microsoft.ML.NFNet.Samples.Datasets;
using Microsoft.ML.NFNet.Samples.Transfer;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// <c>transfer-demo</c>: transfer learning, offline, on shipped data. nfnet_tiny weights pretrained on five Fashion-MNIST
/// classes (<c>Data/Pretrained</c>) are fine-tuned on the five others with a few images per class, and compared with
/// training from scratch on the same images for the same time, with a head-only linear probe, and with the backbone's
/// features in ML.NET's LbfgsMaximumEntropy. With <c>--remake-pretrained</c> it instead pretrains those weights from the
/// official IDX files.
/// </summary>
internal sealed class TransferDemoCommand : System.CommandLine.Command
{
    public const string ShippedWeights = "Data/Pretrained/nfnet_tiny-fashion-mnist-5";

    private static readonly Dictionary<string, TransferMode> ModeNames = Enum.GetValues<TransferMode>()
        .ToDictionary(m => m.ToString().ToLowerInvariant(), m => m, StringComparer.OrdinalIgnoreCase);

    private readonly Option<int[]> perClass = CliOptions.List("--per-class", "Training images per new class (at most 150: the embedded subset)",
        ValueParsers.Int(1, 150), "n", "10,25,100");
    private readonly Option<TransferMode[]> modes = CliOptions.List("--modes", $"What to compare: {string.Join(", ", ModeNames.Keys)}",
        ValueParsers.OneOf(ModeNames), "mode", "all");
    private readonly Option<string?> fashionMnist = CliOptions.Single<string?>("--fashion-mnist",
        "Folder of the official IDX files (Debian: /usr/share/datasets/fashion-mnist): test on all 5,000 official test images of the new classes instead of the embedded 150",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<string?> pretrained = CliOptions.Single<string?>("--pretrained",
        $"The pretrained weights (a PretrainedWeights value) [default: the shipped {ShippedWeights}]", text => text, "weights");
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for transfer-results.json and .md", text => text, "dir",
        () => "nfnet-output");
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
    private readonly Option<bool> tune = new("--tune")
    {
        Description = "Score on the embedded training images 101–150 of each new class (never trained on) instead of test images: for choosing settings without looking at the test set",
    };
    private readonly Option<int?> threads = CliOptions.Single<int?>("--threads",
        "Torch intra-op threads [default: libtorch's, one per core]; 1 keeps timings steady on a machine shared with other work",
        text => ValueParsers.Int(1, 256)(text), "n");
    private readonly Option<bool> verbose = new("--verbose") { Description = "Print the trainer's log (automatic choices, head, download, epochs) with times" };
    private readonly Option<bool> noAugmentation = new("--no-augmentation") { Description = "No random crops or flips (head-only training then caches the features)" };
    private readonly Option<string?> remake = CliOptions.Single<string?>("--remake-pretrained",
        "Instead of the demo: pretrain nfnet_tiny on the five first classes of --fashion-mnist's training split and export it here", text => text, "dir");
    private readonly Option<int> pretrainEpochs = CliOptions.Single("--pretrain-epochs", "Epochs of --remake-pretrained", ValueParsers.Int(1, 100), "n", () => 6);

    public TransferDemoCommand() : base("transfer-demo",
        "Transfer learning on Fashion-MNIST, offline: nfnet_tiny pretrained on five classes (shipped) is fine-tuned on the five " +
        "others with a few images per class, and compared with training from scratch (same images, same time), a head-only " +
        "linear probe, and its features in LbfgsMaximumEntropy.")
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
            return Pretrain(request, target);
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var weights = request.Pretrained ?? Path.Combine(AppContext.BaseDirectory, ShippedWeights);
        var shape = PretrainedShape.Read(weights);
        var train = LabeledImageFolder.Load(Path.Combine(dataRoot, "FashionMnist"), minimumClasses: 2);
        var test = request.Tune
            ? train.Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).GroupBy(i => i.Label).SelectMany(g => g.Skip(100)).ToList()
            : request.FashionMnist is { } idx
                ? FashionMnistIdx.Load(idx, "t10k", FashionMnistTransfer.NewClasses)
                : LabeledImageFolder.Load(Path.Combine(dataRoot, "FashionMnistTest"), minimumClasses: 1)
                    .Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).ToList();
        if (request.Tune && request.PerClass.Any(n => n > 100))
            throw new UsageException("--tune scores on the images after the first 100 of each class: use --per-class of at most 100.");
        AnsiConsole.MarkupLine($"Pretrained: [bold]{Markup.Escape(weights)}[/] ({shape.Architecture.Name}, {shape.ClassCount} classes, " +
            $"{shape.ImageSize} px). New classes: {string.Join(", ", FashionMnistTransfer.NewClasses)}; test: {test.Count} images " +
            $"({(request.Tune ? "held-out training images, --tune" : request.FashionMnist is null ? "embedded subset" : "official test split")}).");

        var experiment = new TransferExperiment(weights, shape, test, request.Seed, request.Verbose);
        var results = new List<TransferResult>();
        foreach (var count in request.PerClass)
        {
            var subset = FashionMnistTransfer.FirstPerClass(train, count);
            int? fullEpochs = null;
            // Full fine-tuning first: from scratch then gets as many epochs at the same resolution, i.e. the same time.
            foreach (var mode in request.Modes.OrderBy(m => m == TransferMode.Full ? 0 : m == TransferMode.Scratch ? 1 : 2))
            {
                var result = experiment.Run(mode, subset, count, request.Overrides, fullEpochs);
                if (mode == TransferMode.Full)
                    fullEpochs = result.Epochs;
                results.Add(result);
                Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
                {
                    mode = mode.ToString(), per_class = count, accuracy = Math.Round(result.Accuracy, 4),
                    seconds = Math.Round(result.Duration.TotalSeconds, 1), result.Epochs, settings = result.Settings,
                    load_before = result.LoadBefore, load_after = result.LoadAfter,
                }, ResultJson));
            }
        }
        Print(results, test.Count);
        Save(request.Output, results, test.Count, request);
        return 0;
    }

    private static readonly JsonSerializerOptions ResultJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Print(IReadOnlyList<TransferResult> results, int testCount)
    {
        var table = new Table().Title($"Accuracy on {testCount} test images of the 5 new classes").AddColumns("images / class", "mode",
            "test accuracy", "training time", "epochs", "settings", "load avg (1/5/15 min) before → after");
        foreach (var r in results)
            table.AddRow(r.PerClass.ToString(CultureInfo.InvariantCulture), Title(r.Mode), $"{r.Accuracy:P1}", $"{r.Duration.TotalSeconds:0.0} s",
                r.Mode == TransferMode.Features ? "–" : r.Epochs.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Settings),
                $"{r.LoadBefore} → {r.LoadAfter}");
        AnsiConsole.Write(table);
    }

    private static void Save(string folder, IReadOnlyList<TransferResult> results, int testCount, Request request)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "transfer-results.json"), JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        var lines = new List<string>
        {
            $"| images / class | {string.Join(" | ", request.Modes.Select(Title))} |",
            $"|---|{string.Join("", request.Modes.Select(_ => "---|"))}",
        };
        foreach (var group in results.GroupBy(r => r.PerClass))
            lines.Add($"| {group.Key} | {string.Join(" | ", request.Modes.Select(m => group.FirstOrDefault(r => r.Mode == m) is { } r ? $"{r.Accuracy:P1} ({r.Duration.TotalSeconds:0} s)" : ""))} |");
        lines.Add("");
        lines.Add($"Test images: {testCount}. Settings: {request.Overrides}.");
        File.WriteAllLines(Path.Combine(folder, "transfer-results.md"), lines);
        AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.Combine(folder, "transfer-results.md"))}[/].");
    }

    private static string Title(TransferMode mode) => mode switch
    {
        TransferMode.Scratch => "from scratch (same time)",
        TransferMode.Full => "full fine-tuning",
        TransferMode.LastStage => "last stage + head",
        TransferMode.Head => "head only",
        _ => "features + LbfgsMaximumEntropy",
    };

    // The shipped weights: nfnet_tiny from scratch on the official training images of classes 0-4, exported for timm.
    private static int Pretrain(Request request, string target)
    {
        var idx = request.FashionMnist ?? throw new UsageException("--remake-pretrained needs --fashion-mnist (the official IDX files).");
        var train = FashionMnistIdx.Load(idx, "train", FashionMnistTransfer.PretrainingClasses);
        var test = FashionMnistIdx.Load(idx, "t10k", FashionMnistTransfer.PretrainingClasses);
        AnsiConsole.MarkupLine($"Pretraining nfnet_tiny on {train.Count} images of {string.Join(", ", FashionMnistTransfer.PretrainingClasses)} " +
            $"({request.PretrainEpochs} epochs at 32 px).");
        var mlContext = new MLContext(seed: request.Seed);
        var data = mlContext.Data.LoadFromEnumerable(train);
        var progress = new Training.TrainingProgress();
        var trainer = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(mlContext.MulticlassClassification.Trainers.NFNet(
            new NFNetImageClassificationTrainer.Options
            {
                LabelColumnName = "Label",
                FeatureColumnName = "ImageSource",
                Architecture = NFNetConfig.Variant("nfnet_tiny"),
                ValidationSetFraction = 0.02,
                Training = new NFNetTrainingOptions
                {
                    Epochs = request.PretrainEpochs,
                    BatchSize = 64,
                    Seed = request.Seed,
                    MetricsCallback = progress.OnMetrics,
                    EarlyStopping = null,
                    Optimizer = new NFNetOptimizerOptions { LearningRate = 0.1, WarmupEpochs = 1 },
                    // 28×28 garments upscaled to nfnet_tiny's smallest input; crops keep at least 35 % of the garment.
                    Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, CropScaleMin = 0.35, HorizontalFlipProbability = 0.5 },
                },
            }));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var load = File.ReadAllText("/proc/loadavg").Trim();
        var model = progress.Run(() => trainer.Fit(data));
        var parameters = NFNetModelParameters.FindIn(model)!;
        var probabilities = parameters.PredictProbabilities(test.Select(t => (ReadOnlyMemory<byte>)t.ImageSource).ToArray(), 128);
        var accuracy = test.Zip(probabilities).Count(p => parameters.Labels![Array.IndexOf(p.Second, p.Second.Max())] == p.First.Label) / (double)test.Count;
        parameters.ExportTimm(target);
        AnsiConsole.MarkupLine($"Pretrained in {clock.Elapsed:mm\\:ss} (load average before: {load}); accuracy on the {test.Count} official " +
            $"test images of those classes: [bold]{accuracy:P1}[/]. Exported to {Markup.Escape(target)}.");
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new { pretrain_seconds = Math.Round(clock.Elapsed.TotalSeconds), accuracy, test = test.Count,
            images = train.Count, epochs = request.PretrainEpochs, load_before = load, load_after = File.ReadAllText("/proc/loadavg").Trim() }));
        return 0;
    }
}

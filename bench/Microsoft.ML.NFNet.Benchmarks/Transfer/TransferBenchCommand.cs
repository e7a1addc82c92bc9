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
        "Folder of the official IDX files (Debian: /usr/share/datasets/fashion-mnist): train on images drawn per seed from the official training split and test on all 5,000 official test images of the new classes, instead of random splits of the embedded images",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<string?> pretrained = CliOptions.Single<string?>("--pretrained",
        $"The pretrained weights (a PretrainedWeights value) [default: the shipped {FashionMnistTransfer.ShippedWeights}]", text => text, "weights");
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for transfer-results.json and .md", text => text, "dir",
        () => "transfer-results");
    private readonly Option<int[]> seeds = CliOptions.List("--seeds",
        "Random seeds: one training run each (and, on the embedded images, one draw of training images each)", ValueParsers.Int(), "n", "1,2,3");
    private readonly Option<double?> learningRate = CliOptions.Single<double?>("--learning-rate", "Override the automatic peak learning rate",
        text => ValueParsers.Double(1e-6, 10)(text), "rate");
    private readonly Option<int?> epochs = CliOptions.Single<int?>("--epochs", "Override the automatic epochs", text => ValueParsers.Int(1, 1000)(text), "n");
    private readonly Option<double?> backboneFactor = CliOptions.Single<double?>("--backbone-factor",
        "Override the automatic backbone learning-rate factor, in (0, 1]", text => ValueParsers.Double(1e-6, 1)(text), "factor");
    private readonly Option<double?> warmup = CliOptions.Single<double?>("--warmup-epochs", "Override the automatic warm-up",
        text => ValueParsers.Double(0, 100)(text), "epochs");
    private readonly Option<double?> cropScaleMin = CliOptions.Single<double?>("--crop-scale-min", "Override the automatic smallest crop area",
        text => ValueParsers.Double(0.01, 1)(text), "fraction");
    private readonly Option<double?> flip = CliOptions.Single<double?>("--flip", "Override the automatic horizontal-flip probability",
        text => ValueParsers.Double(0, 1)(text), "probability");
    private readonly Option<double?> clipping = CliOptions.Single<double?>("--clipping", "Override the automatic AGC clipping factor λ (0: off)",
        text => ValueParsers.Double(0, 10)(text), "lambda");
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
        "Instead of the comparison: pretrain nfnet_tiny on the --pretrain-classes of --fashion-mnist's training split and export it here", text => text, "dir");
    private readonly Option<int> pretrainEpochs = CliOptions.Single("--pretrain-epochs", "Epochs of --remake-pretrained (over the four turns of each image with --pretrain-quarter-turns)",
        ValueParsers.Int(1, 100), "n", () => PretrainingRecipe.Default.Epochs);
    private readonly Option<double> pretrainSmoothing = CliOptions.Single("--pretrain-label-smoothing",
        "Label smoothing of --remake-pretrained (smoothing is known to make features transfer worse)", ValueParsers.Double(0, 0.99), "fraction",
        () => PretrainingRecipe.Default.LabelSmoothing);
    private readonly Option<double> pretrainCropScaleMin = CliOptions.Single("--pretrain-crop-scale-min",
        "Smallest area of --remake-pretrained's random-resized crops", ValueParsers.Double(0.01, 1), "fraction", () => PretrainingRecipe.Default.CropScaleMin);
    private readonly Option<bool> pretrainQuarterTurns = new("--pretrain-quarter-turns")
    {
        Description = "--remake-pretrained trains on the four quarter turns of each image, each (class, turn) a label of its own, and exports a classifier of the upright classes",
    };
    private readonly Option<double> pretrainFlip = CliOptions.Single("--pretrain-flip",
        "How often --remake-pretrained mirrors an image", ValueParsers.Double(0, 1), "probability", () => PretrainingRecipe.Default.HorizontalFlipProbability);
    private readonly Option<int[]> pretrainClasses = CliOptions.List("--pretrain-classes",
        "Another class split: the official labels pretrained on (the others are the new classes), for --remake-pretrained and, with " +
        "--fashion-mnist and --pretrained weights made that way, for the comparison (training images drawn per seed from the official " +
        "training split, tested on the official test split)", ValueParsers.Int(0, 9), "label", "0,1,2,3,4");

    public TransferBenchCommand() : base("transfer",
        "The transfer-learning measurements: the sample's transfer demo with overrides of the automatic settings, on the " +
        "official test split or held-out training images, with load averages and RESULT lines; or --remake-pretrained.")
    {
        foreach (var option in new Option[] { perClass, modes, fashionMnist, pretrained, output, seeds, learningRate, epochs, backboneFactor,
                     warmup, cropScaleMin, flip, clipping, noAugmentation, tune, verbose, threads, remake, pretrainEpochs, pretrainSmoothing,
                     pretrainCropScaleMin, pretrainQuarterTurns, pretrainFlip, pretrainClasses })
            Options.Add(option);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What the command is asked to do.</summary>
    public sealed record Request(int[] PerClass, TransferMode[] Modes, string? FashionMnist, string? Pretrained, string Output, int[] Seeds,
        TransferOverrides Overrides, string? Remake, PretrainingRecipe Recipe, bool Tune = false, bool Verbose = false, int? Threads = null,
        ClassSplit? Split = null)
    {
        /// <summary>The classes pretrained on and the new ones.</summary>
        public ClassSplit Classes => Split ?? ClassSplit.Shipped;
    }

    public Request Bind(ParseResult result) => new(
        result.GetValue(perClass) is { Length: > 0 } counts ? counts : [10, 25, 100],
        result.GetValue(modes) is { Length: > 0 } chosen ? chosen : Enum.GetValues<TransferMode>(),
        result.GetValue(fashionMnist), result.GetValue(pretrained), result.GetValue(output)!,
        result.GetValue(seeds) is { Length: > 0 } chosenSeeds ? chosenSeeds.Distinct().ToArray() : [1, 2, 3],
        new TransferOverrides(result.GetValue(learningRate), result.GetValue(epochs), result.GetValue(backboneFactor), result.GetValue(warmup),
            result.GetValue(cropScaleMin), result.GetValue(noAugmentation), result.GetValue(flip), result.GetValue(clipping)),
        result.GetValue(remake), new PretrainingRecipe(result.GetValue(pretrainEpochs), result.GetValue(pretrainSmoothing),
            result.GetValue(pretrainCropScaleMin), result.GetValue(pretrainQuarterTurns), result.GetValue(pretrainFlip)),
        result.GetValue(tune), result.GetValue(verbose), result.GetValue(threads),
        result.GetValue(pretrainClasses) is { Length: > 0 } labels ? ClassSplit.FromPretrainingLabels(labels) : null);

    private static int Run(Request request)
    {
        if (request.Threads is { } threadCount)
            TorchSharp.torch.set_num_threads(threadCount);
        if (request.Remake is { } target)
            return Pretraining.Run(target, request.FashionMnist
                ?? throw new UsageException("--remake-pretrained needs --fashion-mnist (the official IDX files)."), request.Recipe,
                request.Seeds[0], request.Classes);
        var split = request.Classes;
        if (!split.IsShipped && (request.FashionMnist is null || request.Pretrained is null || request.Tune))
            throw new UsageException("--pretrain-classes other than 0–4 compares on the official files: give --fashion-mnist and --pretrained " +
                                     "weights pretrained on those classes (made with --remake-pretrained and the same --pretrain-classes), without --tune.");
        if (request.Tune && request.PerClass.Any(n => n > 100))
            throw new UsageException("--tune scores on the images after the first 100 of each class: use --per-class of at most 100.");
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var weights = request.Pretrained ?? Path.Combine(AppContext.BaseDirectory, FashionMnistTransfer.ShippedWeights);
        var shape = PretrainedShape.Read(weights);
        var train = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist"));
        var pool = FashionMnistTransfer.NewClassImages(dataRoot);
        var official = request.FashionMnist is { } idx ? FashionMnistFiles.Load(idx) : default;
        var fixedTest = request.Tune
            ? train.Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).GroupBy(i => i.Label).SelectMany(g => g.Skip(100)).ToList()
            : official.Test is { } officialTest ? SmallDataRow.Encode(officialTest.Where(i => split.NewLabels.Contains(i.Label))) : null;
        var testName = request.Tune ? "held-out training images 101–150 per class, --tune"
            : fixedTest is null ? $"random splits of the {pool.Count} embedded images: all not trained on"
            : "official test split; training images drawn per seed from the official training split";
        AnsiConsole.MarkupLine($"Pretrained: [bold]{Markup.Escape(weights)}[/] ({shape.Architecture.Name}, {shape.ClassCount} classes, " +
            $"{shape.ImageSize} px). New classes: {string.Join(", ", split.New)}; test: {testName}; seeds {string.Join(", ", request.Seeds)}.");

        var rows = new List<Row>();
        foreach (var count in request.PerClass)
        {
            foreach (var seed in request.Seeds)
            {
                // --tune trains on the first images of the training subset; the official test split with training images
                // drawn per seed from the official training split; random splits draw both from the embedded images.
                var (subset, test) = request.Tune ? (FashionMnistTransfer.FirstPerClass(train, count), fixedTest!)
                    : fixedTest is null ? FashionMnistTransfer.RandomSplit(pool, count, seed)
                    : (split.Draw(official.Train, count, seed), fixedTest);
                var experiment = new TransferExperiment(weights, shape, test, seed)
                {
                    Configure = (mode, mlContext, options) =>
                    {
                        request.Overrides.Apply(options.Training, fromScratch: mode == TransferMode.Scratch);
                        if (request.Verbose)
                            Log(mlContext);
                    },
                };
                foreach (var mode in request.Modes)
                {
                    var loadBefore = LoadAverages();
                    var result = experiment.Run(mode, subset, count);
                    var row = new Row(result, seed, test.Count, mode == TransferMode.Features ? "NFNetFeaturizeImage, NormalizeMeanVariance, LbfgsMaximumEntropy defaults"
                        : request.Overrides.Describe(result.AutomaticChoices), loadBefore, LoadAverages());
                    rows.Add(row);
                    Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
                    {
                        mode = mode.ToString(), per_class = count, seed, test_images = test.Count, accuracy = Math.Round(result.Accuracy, 4),
                        seconds = Math.Round(result.Duration.TotalSeconds, 1), result.Epochs, settings = row.Settings,
                        load_before = row.LoadBefore, load_after = row.LoadAfter,
                    }, ResultJson));
                }
            }
        }
        Print(rows);
        Save(request, rows, testName);
        return 0;
    }

    /// <summary>One measured run with its seed, test-set size, settings and the load averages (1/5/15 min) before and after.</summary>
    private sealed record Row(TransferResult Result, int Seed, int TestImages, string Settings, string LoadBefore, string LoadAfter);

    private static void Log(MLContext mlContext)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        mlContext.Log += (_, e) =>
        {
            if (e.Kind != Runtime.ChannelMessageKind.Trace && e.Source.Contains("NFNet", StringComparison.Ordinal))
                Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,6:0.0} s] {e.Message}");
        };
    }

    private static void Print(IReadOnlyList<Row> rows)
    {
        var table = new Table().Title("Accuracy on the new classes, per seed").AddColumns("images / class", "seed", "test images", "mode",
            "test accuracy", "training time", "epochs", "settings", "load avg (1/5/15 min) before → after");
        foreach (var (r, seed, testImages, settings, before, after) in rows)
            table.AddRow(r.PerClass.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture),
                testImages.ToString(CultureInfo.InvariantCulture), r.Mode.Title(), $"{r.Accuracy:P1}",
                $"{r.Duration.TotalSeconds:0.0} s", r.Mode == TransferMode.Features ? "–" : r.Epochs.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(settings), $"{before} → {after}");
        AnsiConsole.Write(table);
    }

    private static void Save(Request request, IReadOnlyList<Row> rows, string testName)
    {
        Directory.CreateDirectory(request.Output);
        File.WriteAllText(Path.Combine(request.Output, "transfer-results.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        var summaries = TransferSummary.Of(rows.Select(r => r.Result));
        var lines = new List<string>
        {
            $"| images / class | test images per seed | {string.Join(" | ", request.Modes.Select(m => m.Title()))} |",
            $"|---|---|{string.Join("", request.Modes.Select(_ => "---|"))}",
        };
        foreach (var group in summaries.GroupBy(r => r.PerClass))
            lines.Add($"| {group.Key} | {string.Join("–", rows.Where(r => r.Result.PerClass == group.Key).Select(r => r.TestImages).Distinct())} | " +
                string.Join(" | ", request.Modes.Select(m => group.FirstOrDefault(r => r.Mode == m) is { } r
                    ? $"{r.Mean:P1} ({r.Min:P1}–{r.Max:P1}, {r.MeanDuration.TotalSeconds:0} s)" : "")) + " |");
        lines.Add("");
        lines.Add($"Mean (min–max, mean training time) over seeds {string.Join(", ", request.Seeds)}. Test: {testName}. Settings: {request.Overrides}.");
        File.WriteAllLines(Path.Combine(request.Output, "transfer-results.md"), lines);
        foreach (var line in lines)
            Console.WriteLine(line);
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

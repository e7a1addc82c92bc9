using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Spectre.Console;
using TorchSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// The <c>speed</c> command: real variants, CPU, median of N runs after warm-up, one table plus JSON/CSV; with
/// --result-line also one <c>RESULT {json}</c> line per figure for the side-by-side tool (bench/peer/side_by_side.py, run
/// by eng/side-by-side.sh).
/// </summary>
internal sealed class SpeedCommand : System.CommandLine.Command
{
    private static readonly string DefaultDataFolder = Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist");
    private static readonly string[] DefaultVariants = ["eca_nfnet_l0", "F0"];
    private static readonly BenchMode[] DefaultModes = [BenchMode.Infer, BenchMode.Train, BenchMode.Data];

    private readonly Option<string[]> variants = CliOptions.List("--variants",
        "NFNet variants to measure, comma-separated (F0 ... F7, eca_nfnet_l0 ..., nfnet_tiny, ...)",
        VariantNames.Parse, "names", string.Join(',', DefaultVariants), "--variant");
    private readonly Option<BenchMode[]> modes = CliOptions.List("--modes",
        "What to measure, comma-separated: infer (eval-mode forward; also 'inference'), train (one training step), " +
        "data (the data pipeline), onnx (ONNX Runtime vs TorchSharp scoring of the exported graph), transform (ML.NET " +
        "Transform rows/s vs batched PredictProbabilities on the Fashion-MNIST test images), first-prediction (Model.Load " +
        "of a saved zip + first PredictionEngine.Predict in fresh processes), bf16-agreement (bf16 vs fp32 top-1 and " +
        "max |Δp| on the 300 Fashion-MNIST test images); the last four not by default",
        ValueParsers.OneOf(SpeedSettings.ModeNames), "infer|train|data|onnx|transform|first-prediction|bf16-agreement",
        string.Join(',', DefaultModes.Select(SpeedSettings.NameOf)), "--mode");
    private readonly Option<int?> batch = CliOptions.Single<int?>("--batch",
        "Batch size of one figure per variant and mode (with --size); default: inference at batch 1 / 256 px and " +
        "batch 8 / 192 px, the training step at batch 8 / 192 px", text => ValueParsers.Int(min: 1)(text), "n");
    private readonly Option<int?> size = CliOptions.Single<int?>("--size",
        "Input size in pixels of that figure (with --batch)", text => ValueParsers.Int(min: 32, max: 1024)(text), "px");
    private readonly Option<int> runs = CliOptions.Single("--runs", "Timed runs per figure (the median is reported)",
        ValueParsers.Int(min: 1), "n", () => 10);
    private readonly Option<int> warmup = CliOptions.Single("--warmup", "Untimed runs first",
        ValueParsers.Int(min: 0), "n", () => 2);
    private readonly Option<int> threads = CliOptions.Single("--threads", "Torch intra-op threads",
        ValueParsers.Int(min: 1), "n", () => 2);
    private readonly Option<string> precision = Choice("--precision",
        "Precision of activations and convolutions in infer and train (bf16: NFNetModel.InferencePrecision / " +
        "TrainingPrecision = BFloat16, float32 parameters)", SpeedSettings.PrecisionNames, "fp32");
    private readonly Option<string> engine = Choice("--engine",
        "What scores in infer, transform and first-prediction: torchsharp, or onnxruntime (NFNetScoringEngine.OnnxRuntime: " +
        "the model exported in memory, ONNX Runtime's CPU provider, fp32)", SpeedSettings.EngineNames, "torchsharp");
    private readonly Option<bool> noFreeze = new("--no-freeze")
    {
        Description = "infer on TorchSharp: standardize the conv weights on every pass instead of once " +
                      "(NFNetModel.FreezeForScoring, what NFNetModelParameters does)",
    };
    private readonly Option<string> model = CliOptions.Single("--model",
        "A saved model zip: bf16-agreement scores it instead of a random-init variant; first-prediction measures it in " +
        "this process (the child side, which the parent starts)",
        ValueParsers.ExistingFile, "zip");
    private readonly Option<bool> resultLine = new("--result-line")
    {
        Description = "Also print one line 'RESULT {json}' per figure (variant, mode, batch, size, precision, median_ms, " +
                      "min_ms, runs, peak_rss_mib, ...) for bench/peer/side_by_side.py",
    };
    private readonly Option<string> data = CliOptions.Single("--data",
        "Folder-per-class images for the data mode [default: the embedded Fashion-MNIST subset]",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<int> dataImageSize = CliOptions.Single("--data-image-size", "Output size of the data pipeline",
        ValueParsers.Int(min: 32, max: 1024), "px", () => 224);
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for benchmarks.json and benchmarks.csv",
        text => text, "dir", () => "bench-results");

    public SpeedCommand() : base("speed",
        "Benchmarks inference, a training step (with its AGC and " +
        "optimizer shares) and the data pipeline, with peak RSS; prints one table and writes benchmarks.json and " +
        "benchmarks.csv.")
    {
        foreach (var option in new Option[] { variants, modes, batch, size, runs, warmup, threads, precision, engine,
                     noFreeze, model, resultLine, data, dataImageSize, output })
            Options.Add(option);
        Validators.Add(result =>
        {
            if ((result.GetResult(batch) is null) != (result.GetResult(size) is null))
                result.AddError("--batch and --size go together (one figure of batch × size px); give both, or neither " +
                                "for the standard figures.");
        });
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public SpeedSettings Bind(ParseResult result) => new(
        OrDefault(result.GetValue(variants), DefaultVariants),
        OrDefault(result.GetValue(modes), DefaultModes),
        result.GetValue(batch),
        result.GetValue(size),
        result.GetValue(runs),
        result.GetValue(warmup),
        result.GetValue(threads),
        SpeedSettings.PrecisionNames[result.GetValue(precision)!],
        result.GetValue(resultLine),
        result.GetValue(data) ?? DefaultDataFolder,
        result.GetValue(dataImageSize),
        result.GetValue(output)!,
        SpeedSettings.EngineNames[result.GetValue(engine)!],
        !result.GetValue(noFreeze),
        result.GetValue(model));

    private static string Describe(BenchMode mode) => mode switch
    {
        BenchMode.Infer => "inference",
        BenchMode.Onnx => "ONNX Runtime vs TorchSharp",
        BenchMode.Transform => "ML.NET Transform vs batched scoring",
        BenchMode.FirstPrediction => "first prediction in a fresh process",
        BenchMode.Agreement => "bf16 vs fp32 agreement",
        _ => "training step",
    };

    // One of a fixed set of names (case-insensitive); the value is the name as listed, so help shows the default as typed.
    private static Option<string> Choice<T>(string name, string description, IReadOnlyDictionary<string, T> names, string defaultName)
    {
        var canonical = names.Keys.ToDictionary(key => key, key => key, StringComparer.OrdinalIgnoreCase);
        return CliOptions.Single(name, description, ValueParsers.OneOf(canonical), string.Join('|', names.Keys), () => defaultName);
    }

    // An absent list option reads as empty (a given one has at least one item).
    private static T[] OrDefault<T>(T[]? given, T[] defaultValue) => given is { Length: > 0 } ? given : defaultValue;

    private static int Run(SpeedSettings settings)
    {
        AnchorProtocol.SetThreads(settings.Threads);
        if (settings.ModelPath is { } zip && settings.Modes.Contains(BenchMode.FirstPrediction))
            return FirstPredictionBenchmark.MeasureInThisProcess(zip, settings);
        var machine = BenchmarkReport.DescribeMachine();
        var rows = new List<BenchmarkResult>();
        var figures = settings.Figures().ToArray();
        foreach (var figure in figures)
        {
            AnsiConsole.MarkupLine($"[grey]{figure.Variant}: {Describe(figure.Mode)}, batch {figure.Batch}, {figure.Size} px, " +
                                   $"{SpeedSettings.NameOf(settings.Precision)}, {SpeedSettings.NameOf(settings.Engine)}...[/]");
            var measured = figure.Mode switch
            {
                BenchMode.Infer => InferenceBenchmark.Run(figure, settings),
                BenchMode.Onnx => OnnxRuntimeBenchmark.Run(figure.Variant, figure.Batch, figure.Size, settings.Warmup,
                    settings.Runs, settings.Threads),
                BenchMode.Transform => TransformBenchmark.Run(figure, settings),
                BenchMode.FirstPrediction => FirstPredictionBenchmark.Run(figure, settings),
                BenchMode.Agreement => PrecisionAgreementBenchmark.Run(figure, settings, settings.ModelPath),
                // One figure per process (as side-by-side.py runs it) reports the process's peak, as perf_anchor.py does.
                _ => [TrainingStepBenchmark.Run(figure, settings, resetPeak: figures.Length > 1)],
            };
            Record(measured, figure.Mode);
        }
        if (settings.Modes.Contains(BenchMode.Data))
        {
            AnsiConsole.MarkupLine($"[grey]data pipeline: {Markup.Escape(settings.DataFolder)}, {settings.DataImageSize} px...[/]");
            Record(DataPipelineBenchmark.Run(settings.DataFolder, settings.DataImageSize, settings.Warmup, settings.Runs), BenchMode.Data);
        }
        BenchmarkReport.Print(rows, machine);
        BenchmarkReport.Write(rows, machine, settings.Output);
        AnsiConsole.MarkupLine($"Results written to [bold]{Markup.Escape(Path.GetFullPath(settings.Output))}[/] (benchmarks.json, benchmarks.csv).");
        return 0;

        void Record(IEnumerable<BenchmarkResult> measured, BenchMode mode)
        {
            foreach (var measuredRow in measured)
            {
                var row = mode == BenchMode.Data
                    ? measuredRow
                    : measuredRow with { Precision = measuredRow.Precision ?? SpeedSettings.NameOf(settings.Precision) };
                rows.Add(row);
                // Printed as each figure finishes, on stdout as plain text (no markup, no wrapping): the tool reads the line.
                if (settings.ResultLine)
                    Console.Out.WriteLine(ResultLine.Format(row, mode, settings.Warmup, settings.Threads));
            }
            Console.Out.Flush();
        }
    }
}

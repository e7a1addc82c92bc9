using Microsoft.ML.NFNet.Samples.Cli;
using Spectre.Console;
using TorchSharp;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>The <c>bench</c> command: real variants, CPU, median of N runs after warm-up, one table plus JSON/CSV.</summary>
internal static class BenchCommand
{
    public const string Help = """
        Usage: bench [--variants eca_nfnet_l0,F0] [--modes inference,train,data,onnx] [--runs 10] [--warmup 2] [--threads 2]
                     [--data <folder-per-class>] [--data-image-size 224] [--output bench-results]

        Measures, for each variant: inference at batch 1 / 256 px and batch 8 / 192 px (with and without the cached
        standardized weights), a training step at batch 8 / 192 px with its AGC and optimizer shares, and peak RSS;
        and the data pipeline alone (decode + resize + augment, batches of 32) on a folder of images (default: the
        embedded Fashion-MNIST subset). Mode onnx (not run by default) exports each variant to ONNX and times ONNX Runtime
        against TorchSharp scoring at the same two sizes, interleaved. Prints one table and writes benchmarks.json and
        benchmarks.csv.
        """;

    public static int Run(CommandArguments args)
    {
        var variants = args.List("variants", "eca_nfnet_l0", "F0");
        var modes = args.List("modes", "inference", "train", "data");
        var dataFolder = args.String("data", Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist"));
        var dataImageSize = args.Int("data-image-size", 224);
        var runs = args.Int("runs", 10);
        var warmup = args.Int("warmup", 2);
        var threads = args.Int("threads", 2);
        var output = args.String("output", "bench-results");
        args.RejectUnknown();
        if (modes.Except(["inference", "train", "data", "onnx"]).FirstOrDefault() is { } unknownMode)
            throw new UsageException($"--modes: unknown mode '{unknownMode}'; use inference, train, data and/or onnx.");
        if (runs < 1 || warmup < 0 || threads < 1)
            throw new UsageException("--runs and --threads must be at least 1, --warmup at least 0.");

        torch.set_num_threads(threads);
        var machine = BenchmarkReport.DescribeMachine();
        var rows = new List<BenchmarkResult>();
        foreach (var variant in variants)
        {
            if (modes.Contains("inference"))
            {
                foreach (var (batch, resolution) in new[] { (1, 256), (8, 192) })
                {
                    AnsiConsole.MarkupLine($"[grey]{variant}: inference, batch {batch}, {resolution} px...[/]");
                    rows.AddRange(InferenceBenchmark.Run(variant, batch, resolution, warmup, runs));
                }
            }
            if (modes.Contains("onnx"))
            {
                foreach (var (batch, resolution) in new[] { (1, 256), (8, 192) })
                {
                    AnsiConsole.MarkupLine($"[grey]{variant}: ONNX Runtime vs TorchSharp scoring, batch {batch}, {resolution} px...[/]");
                    rows.AddRange(OnnxRuntimeBenchmark.Run(variant, batch, resolution, warmup, runs, threads));
                }
            }
            if (modes.Contains("train"))
            {
                AnsiConsole.MarkupLine($"[grey]{variant}: training step, batch 8, 192 px...[/]");
                rows.Add(TrainingStepBenchmark.Run(variant, batch: 8, resolution: 192, warmup, runs));
            }
        }
        if (modes.Contains("data"))
        {
            AnsiConsole.MarkupLine($"[grey]data pipeline: {Markup.Escape(dataFolder)}, {dataImageSize} px...[/]");
            rows.AddRange(DataPipelineBenchmark.Run(dataFolder, dataImageSize, warmup, runs));
        }
        BenchmarkReport.Print(rows, machine);
        BenchmarkReport.Write(rows, machine, output);
        AnsiConsole.MarkupLine($"Results written to [bold]{Markup.Escape(Path.GetFullPath(output))}[/] (benchmarks.json, benchmarks.csv).");
        return 0;
    }
}

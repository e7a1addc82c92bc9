using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.NFNet.Benchmarks.Speed;
using Microsoft.ML.NFNet.Samples.Cli;
using Spectre.Console;
using TorchSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Scoring;

/// <summary>
/// The <c>scoring</c> command: rows/s of ML.NET <c>Transform</c> (batched) against batched
/// <c>PredictProbabilities</c> and a <c>PredictionEngine</c>, on the same model and images, rounds interleaved; prints a
/// table (medians over the rounds, by wall clock and by this process's CPU time) and one <c>RESULT {json}</c> line per figure.
/// </summary>
internal sealed class ScoringBenchCommand : System.CommandLine.Command
{
    private static readonly string[] DefaultFigures = ["nfnet_tiny:128", "eca_nfnet_l0:224"];

    private readonly Option<string[]> figures = CliOptions.List("--figures",
        "Variant and image size of each figure, comma-separated as variant:px", ParseFigure, "variant:px",
        string.Join(',', DefaultFigures));
    private readonly Option<int> images = CliOptions.Single("--images", "Images scored per round and path",
        ValueParsers.Int(min: 1), "n", () => 256);
    private readonly Option<int> batch = CliOptions.Single("--batch",
        "Batch size of Transform (the trainer's ScoringBatchSize) and of PredictProbabilities", ValueParsers.Int(min: 1, max: 4096),
        "n", () => new NFNetImageClassificationTrainer.Options().ScoringBatchSize);
    private readonly Option<int> rounds = CliOptions.Single("--rounds", "Rounds (each scores all images through every path)",
        ValueParsers.Int(min: 1), "n", () => 3);
    private readonly Option<int> threads = CliOptions.Single("--threads", "Torch intra-op threads", ValueParsers.Int(min: 1), "n", () => 2);

    public ScoringBenchCommand() : base("scoring",
        "Rows/s of ML.NET Transform over an IDataView against batched PredictProbabilities and a PredictionEngine " +
        "(same model, same images, rounds interleaved).")
    {
        foreach (var option in new Option[] { figures, images, batch, rounds, threads })
            Options.Add(option);
        SetAction(result => Run(
            result.GetValue(figures) is { Length: > 0 } given ? given : DefaultFigures.Select(ParseFigure).ToArray(),
            result.GetValue(images), result.GetValue(batch), result.GetValue(rounds), result.GetValue(threads)));
    }

    private static string ParseFigure(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2)
            throw new FormatException($"'{text}' is not variant:px (e.g. eca_nfnet_l0:224).");
        VariantNames.Parse(parts[0]);
        ValueParsers.Int(min: 32, max: 1024)(parts[1]);
        return text;
    }

    private static int Run(string[] figureTexts, int imageCount, int batchSize, int rounds, int threadCount)
    {
        torch.set_num_threads(threadCount);
        var table = new Table().AddColumns("variant", "px", "images", "batch", "path", "rows/s", "vs PredictProbabilities",
            "rows per CPU-s", "vs PredictProbabilities (CPU)");
        var lines = new List<string>();
        foreach (var text in figureTexts)
        {
            var variant = text.Split(':')[0];
            var size = int.Parse(text.Split(':')[1], CultureInfo.InvariantCulture);
            var measured = ScoringBenchmark.Run(variant, size, imageCount, batchSize, rounds,
                line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
            var reference = measured.Single(f => f.Path == "PredictProbabilities");
            foreach (var figure in measured)
            {
                table.AddRow(variant, size.ToString(CultureInfo.InvariantCulture), imageCount.ToString(CultureInfo.InvariantCulture),
                    figure.Path == "PredictionEngine" ? "1" : batchSize.ToString(CultureInfo.InvariantCulture), figure.Path,
                    figure.Median.ToString("F1", CultureInfo.InvariantCulture),
                    (figure.Median / reference.Median).ToString("F2", CultureInfo.InvariantCulture),
                    figure.MedianPerCpuSecond.ToString("F1", CultureInfo.InvariantCulture),
                    (figure.MedianPerCpuSecond / reference.MedianPerCpuSecond).ToString("F2", CultureInfo.InvariantCulture));
                lines.Add("RESULT " + JsonSerializer.Serialize(new
                {
                    variant, size, images = imageCount, batch = figure.Path == "PredictionEngine" ? 1 : batchSize, path = figure.Path,
                    rows_per_second = Math.Round(figure.Median, 2),
                    ratio_to_predict_probabilities = Math.Round(figure.Median / reference.Median, 3),
                    rows_per_cpu_second = Math.Round(figure.MedianPerCpuSecond, 2),
                    cpu_ratio_to_predict_probabilities = Math.Round(figure.MedianPerCpuSecond / reference.MedianPerCpuSecond, 3),
                    per_round = figure.RowsPerSecond.Select(r => Math.Round(r, 1)).ToArray(),
                    rounds, threads = threadCount,
                }));
            }
        }
        AnsiConsole.Write(table);
        foreach (var line in lines)
            Console.Out.WriteLine(line);
        return 0;
    }
}

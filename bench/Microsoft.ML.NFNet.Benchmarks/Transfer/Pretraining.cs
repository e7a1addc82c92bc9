using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>
/// How the shipped weights (the sample's <c>Data/Pretrained</c>) were made: nfnet_tiny from scratch on the official
/// training images of classes 0–4 (or another <see cref="ClassSplit"/>), scored on their official test images, exported for timm.
/// </summary>
internal static class Pretraining
{
    public static int Run(string target, string fashionMnist, int epochs, double labelSmoothing, int seed, ClassSplit split)
    {
        var pretrainingLabels = split.PretrainingLabels;
        var (officialTrain, officialTest) = FashionMnistFiles.Load(fashionMnist);
        var train = SmallDataRow.Encode(officialTrain.Where(i => pretrainingLabels.Contains(i.Label)));
        var test = SmallDataRow.Encode(officialTest.Where(i => pretrainingLabels.Contains(i.Label)));
        AnsiConsole.MarkupLine($"Pretraining nfnet_tiny on {train.Count} images of {string.Join(", ", split.Pretraining)} " +
                               $"({epochs} epochs at 32 px, label smoothing {labelSmoothing}).");
        var mlContext = new MLContext(seed: seed);
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            Architecture = NFNetConfig.Variant("nfnet_tiny"),
            ValidationSetFraction = 0.02,
        };
        var progress = new ProgressDisplay();
        options.Training.Epochs = epochs;
        options.Training.BatchSize = 64;
        options.Training.Seed = seed;
        options.Training.MetricsCallback = progress.OnMetrics;
        options.Training.EarlyStopping = null;
        options.Training.LabelSmoothing = labelSmoothing;
        options.Training.Optimizer.LearningRate = 0.1;
        options.Training.Optimizer.WarmupEpochs = 1;
        // 28×28 garments upscaled to nfnet_tiny's smallest input; crops keep at least 35 % of the garment.
        options.Training.Preprocessing.ImageSize = 32;
        options.Training.Preprocessing.CropScaleMin = 0.35;
        options.Training.Preprocessing.HorizontalFlipProbability = 0.5;
        var trainer = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(mlContext.MulticlassClassification.Trainers.NFNet(options));

        var clock = Stopwatch.StartNew();
        var load = File.ReadAllText("/proc/loadavg").Trim();
        var model = progress.Run(() => trainer.Fit(mlContext.Data.LoadFromEnumerable(train)));
        var parameters = NFNetModelParameters.FindIn(model)!;
        var probabilities = parameters.PredictProbabilities(test.Select(t => (ReadOnlyMemory<byte>)t.ImageSource).ToArray(), 128);
        var accuracy = test.Zip(probabilities).Count(p => parameters.Labels![Array.IndexOf(p.Second, p.Second.Max())] == p.First.Label) / (double)test.Count;
        parameters.ExportTimm(target);
        AnsiConsole.MarkupLine($"Pretrained in {clock.Elapsed:mm\\:ss} (load average before: {load}); accuracy on the {test.Count} official " +
                               $"test images of those classes: [bold]{accuracy:P1}[/]. Exported to {Markup.Escape(target)}.");
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new { classes = split.Pretraining, pretrain_seconds = Math.Round(clock.Elapsed.TotalSeconds), accuracy, test = test.Count,
            images = train.Count, epochs, label_smoothing = labelSmoothing, load_before = load, load_after = File.ReadAllText("/proc/loadavg").Trim() }));
        return 0;
    }
}

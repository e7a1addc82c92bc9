using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>
/// How the shipped weights (the sample's <c>Data/Pretrained</c>) were made: nfnet_tiny from scratch on the official
/// training images of classes 0–4 (or another <see cref="ClassSplit"/>), with a <see cref="PretrainingRecipe"/> (the shipped
/// one trains on <see cref="QuarterTurns"/>), scored on their official test images, exported for timm.
/// </summary>
internal static class Pretraining
{
    public static int Run(string target, string fashionMnist, PretrainingRecipe recipe, int seed, ClassSplit split)
    {
        var pretrainingLabels = split.PretrainingLabels;
        var (officialTrain, officialTest) = FashionMnistFiles.Load(fashionMnist);
        var classNames = FashionMnistFiles.ClassNames;
        var images = officialTrain.Where(i => pretrainingLabels.Contains(i.Label));
        var testImages = officialTest.Where(i => pretrainingLabels.Contains(i.Label));
        var train = recipe.QuarterTurns
            ? SmallDataRow.Encode(QuarterTurns.Expand(images), QuarterTurns.JointNames(classNames))
            : SmallDataRow.Encode(images);
        var test = SmallDataRow.Encode(testImages);
        AnsiConsole.MarkupLine($"Pretraining nfnet_tiny on {train.Count} images of {string.Join(", ", split.Pretraining)} ({Markup.Escape(recipe.ToString())}).");
        var mlContext = new MLContext(seed: seed);
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            Architecture = NFNetConfig.Variant("nfnet_tiny"),
            ValidationSetFraction = 0.02,
        };
        var progress = new ProgressDisplay();
        options.Training.Epochs = recipe.Epochs;
        options.Training.BatchSize = 64;
        options.Training.Seed = seed;
        options.Training.MetricsCallback = progress.OnMetrics;
        options.Training.EarlyStopping = null;
        options.Training.LabelSmoothing = recipe.LabelSmoothing;
        options.Training.Optimizer.LearningRate = 0.1;
        options.Training.Optimizer.WarmupEpochs = 1;
        // 28×28 garments upscaled to nfnet_tiny's smallest input.
        options.Training.Preprocessing.ImageSize = 32;
        options.Training.Preprocessing.CropScaleMin = recipe.CropScaleMin;
        options.Training.Preprocessing.HorizontalFlipProbability = recipe.HorizontalFlipProbability;
        var trainer = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(mlContext.MulticlassClassification.Trainers.NFNet(options));

        var clock = Stopwatch.StartNew();
        var load = File.ReadAllText("/proc/loadavg").Trim();
        var model = progress.Run(() => trainer.Fit(mlContext.Data.LoadFromEnumerable(train)));
        var parameters = NFNetModelParameters.FindIn(model)!;
        var probabilities = parameters.PredictProbabilities(test.Select(t => (ReadOnlyMemory<byte>)t.ImageSource).ToArray(), 128);
        var labels = parameters.Labels!;
        // With quarter turns the exported head is the upright labels' rows: score with those, as the export will.
        var upright = recipe.QuarterTurns ? QuarterTurns.UprightRows(labels, classNames) : null;
        var predicted = probabilities.Select(p => upright is null ? labels[Array.IndexOf(p, p.Max())] : upright.MaxBy(c => p[c.Row]).Class);
        var accuracy = test.Select(t => t.Label).Zip(predicted).Count(p => p.First == p.Second) / (double)test.Count;
        if (upright is null)
            parameters.ExportTimm(target);
        else
            QuarterTurns.ExportUpright(parameters, target, upright);
        AnsiConsole.MarkupLine($"Pretrained in {clock.Elapsed:mm\\:ss} (load average before: {load}); accuracy on the {test.Count} official " +
                               $"test images of those classes: [bold]{accuracy:P1}[/]. Exported to {Markup.Escape(target)}.");
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new { classes = split.Pretraining, pretrain_seconds = Math.Round(clock.Elapsed.TotalSeconds), accuracy, test = test.Count,
            images = train.Count, recipe.Epochs, label_smoothing = recipe.LabelSmoothing, crop_scale_min = recipe.CropScaleMin, quarter_turns = recipe.QuarterTurns, load_before = load, load_after = File.ReadAllText("/proc/loadavg").Trim() }));
        return 0;
    }
}

/// <summary>How <c>--remake-pretrained</c> trains nfnet_tiny.</summary>
/// <param name="Epochs">Passes over the training images (each pass shows every quarter turn with <paramref name="QuarterTurns"/>).</param>
/// <param name="LabelSmoothing">Label smoothing of the loss.</param>
/// <param name="CropScaleMin">The smallest area a random-resized crop keeps.</param>
/// <param name="QuarterTurns">Train on the four quarter turns of each image, each pair of class and turn a label (<see cref="Transfer.QuarterTurns"/>).</param>
/// <param name="HorizontalFlipProbability">How often the trainer mirrors an image. With quarter turns a mirror turns a
/// symmetric garment's 90° into its 270°, so mirrors blur those two labels.</param>
internal sealed record PretrainingRecipe(int Epochs, double LabelSmoothing, double CropScaleMin, bool QuarterTurns, double HorizontalFlipProbability = 0.5)
{
    /// <summary>The options' defaults: the recipe of the weights shipped before the quarter turns (their command now adds
    /// <c>--pretrain-quarter-turns --pretrain-epochs 6 --pretrain-flip 0</c>: the sample's Data/Pretrained/README.md).</summary>
    public static PretrainingRecipe Default { get; } = new(8, 0.1, 0.35, false);

    public override string ToString() =>
        FormattableString.Invariant($"{Epochs} epochs at 32 px, label smoothing {LabelSmoothing}, crops ≥ {CropScaleMin:P0}, mirrored with probability {HorizontalFlipProbability}{(QuarterTurns ? ", every quarter turn a label of its own" : "")}");
}

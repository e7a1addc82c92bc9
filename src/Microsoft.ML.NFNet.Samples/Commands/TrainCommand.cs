using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Datasets;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>train</c> command: your own folder-per-class images to an ML.NET model zip.</summary>
internal static class TrainCommand
{
    public const string Help = """
        Usage: train --data <folder> [--arch nfnet_tiny] [--epochs 20] [--image-size 224] [--batch-size 32]
                     [--learning-rate <peak>] [--validation-fraction 0.2] [--seed 1]
                     [--output nfnet-output]

        Trains an NFNet classifier on <folder>, which holds one sub-folder of images per class (PNG, JPEG, BMP, GIF, WEBP).
        A stratified --validation-fraction of every class is held out to report validation loss and accuracy per epoch
        (0 = train on everything). Writes model.zip, training-curves.png, confusion-matrix.png (on the validation
        images) and metrics.json to --output.

          --arch           nfnet_tiny (small, CPU-friendly), F0 ... F7 (= dm_nfnet_f0 ...), nfnet_f0 ..., nfnet_l0,
                           eca_nfnet_l0 ... l2
          --learning-rate  peak SGD rate; default 0.1 × batch size / 256 (the NFNet recipe)
          --image-size     training resolution in pixels (NFNet's F0 uses 192 for training, 256 for evaluation)
        """;

    private static readonly TrainingSettings Defaults = new("nfnet_tiny", Epochs: 20, ImageSize: 224, BatchSize: 32, Seed: 1);

    public static int Run(CommandArguments args)
    {
        var data = args.String("data") ?? throw new UsageException("train needs --data <folder> (one sub-folder of images per class).");
        var settings = TrainingOptions.Read(args, Defaults);
        var validationFraction = args.Double("validation-fraction", 0.2);
        if (validationFraction is < 0 or >= 1)
            throw new UsageException("--validation-fraction must be in [0, 1).");
        var output = new OutputFolder(args.String("output", "nfnet-output"));
        args.RejectUnknown();

        var rows = LabeledImageFolder.Load(data, minimumClasses: 2);
        var (train, validation) = StratifiedSplit.Split(rows, validationFraction, settings.Seed);
        AnsiConsole.MarkupLine($"[bold]{train.Count}[/] training and [bold]{validation.Count}[/] validation images, " +
                               $"{rows.Select(r => r.Label).Distinct().Count()} classes.");

        var mlContext = new MLContext(seed: settings.Seed);
        var classifier = ImageClassifierTraining.Fit(mlContext, settings, train, validation);
        output.SaveModel(mlContext, classifier);
        if (validation.Count > 0)
        {
            var evaluation = EvaluationSummary.Evaluate(mlContext, classifier.Model.Transform(mlContext.Data.LoadFromEnumerable(validation)), "validation");
            EvaluationReport.Print(evaluation);
            output.SaveCharts(classifier, evaluation, $"{settings.Architecture} on {Path.GetFileName(Path.GetFullPath(data))}");
            output.SaveMetrics(settings, classifier, evaluation);
        }
        else
        {
            output.SaveMetrics(settings, classifier);
        }
        output.PrintSummary();
        return 0;
    }
}

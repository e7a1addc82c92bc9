using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Datasets;
using Microsoft.ML.NFNet.Samples.Reporting;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>evaluate</c> command: a saved model's metrics on a labeled folder-per-class dataset.</summary>
internal static class EvaluateCommand
{
    public const string Help = """
        Usage: evaluate --model <model.zip> --data <folder> [--output <dir>]

        Scores every image under <folder> (one sub-folder per class; folder names must be classes of the model) and
        prints micro/macro accuracy, log-loss, per-class precision/recall and the confusion matrix. With --output, also
        writes confusion-matrix.png there.
        """;

    public static int Run(CommandArguments args)
    {
        var modelPath = ModelFile.Require(args);
        var data = args.String("data") ?? throw new UsageException("evaluate needs --data <folder> (one sub-folder of images per class).");
        var outputPath = args.String("output");
        args.RejectUnknown();

        var mlContext = new MLContext();
        var model = mlContext.Model.Load(modelPath, out _);
        var rows = LabeledImageFolder.Load(data, minimumClasses: 1);
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows));
        var evaluation = EvaluationSummary.Evaluate(mlContext, scored, Path.GetFileName(Path.GetFullPath(data)));
        var unknown = rows.Select(r => r.Label).Distinct().Except(evaluation.ClassNames).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"'{data}' has folders that are not classes of the model: {string.Join(", ", unknown)}.");
        EvaluationReport.Print(evaluation);
        if (outputPath is not null)
        {
            var output = new OutputFolder(outputPath);
            output.SaveConfusionMatrix(evaluation);
            output.PrintSummary();
        }
        return 0;
    }
}

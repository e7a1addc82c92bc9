using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Reporting;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>evaluate</c> command: a saved model's metrics on a labeled folder-per-class dataset.</summary>
internal sealed class EvaluateCommand : System.CommandLine.Command
{
    private readonly Option<string> model = TrainingOptions.Model();
    private readonly Option<string> data = CliOptions.Single("--data",
        "Folder with one sub-folder of images per class; folder names must be classes of the model",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<string?> output = CliOptions.Single<string?>("--output",
        "Also write confusion-matrix.png to this folder", text => text, "dir");

    public EvaluateCommand() : base("evaluate",
        "Reports micro/macro accuracy, log-loss, per-class precision/recall and the confusion matrix of a saved model " +
        "on a labeled folder.")
    {
        data.Required = true;
        Options.Add(model);
        Options.Add(data);
        Options.Add(output);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What <c>evaluate</c> is asked to do.</summary>
    public sealed record Request(string Model, string Data, string? Output);

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public Request Bind(ParseResult result) => new(result.GetValue(model)!, result.GetValue(data)!, result.GetValue(output));

    private static int Run(Request request)
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(request.Model, out _);
        var rows = MLModel.ReadImageFolder(request.Data);
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows));
        var evaluation = EvaluationSummary.Evaluate(mlContext, scored, Path.GetFileName(Path.GetFullPath(request.Data)));
        var unknown = rows.Select(r => r.Label).Distinct().Except(evaluation.ClassNames).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"'{request.Data}' has folders that are not classes of the model: {string.Join(", ", unknown)}.");
        EvaluationReport.Print(evaluation);
        if (request.Output is not null)
        {
            var output = new OutputFolder(request.Output);
            output.SaveConfusionMatrix(evaluation);
            output.PrintSummary();
        }
        return 0;
    }
}

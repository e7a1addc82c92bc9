using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>ML.NET's multiclass metrics plus the class names, in the order the confusion matrix uses.</summary>
internal sealed record EvaluationSummary(string DatasetName, IReadOnlyList<string> ClassNames, MulticlassClassificationMetrics Metrics)
{
    /// <summary>Evaluates scored rows (the model's output) and names the classes from the Score column's slot names.</summary>
    public static EvaluationSummary Evaluate(MLContext mlContext, IDataView scored, string datasetName)
    {
        var metrics = mlContext.MulticlassClassification.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Score");
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["Score"].GetSlotNames(ref names);
        return new EvaluationSummary(datasetName, names.DenseValues().Select(n => n.ToString()).ToArray(), metrics);
    }

    public IReadOnlyList<IReadOnlyList<double>> Counts => Metrics.ConfusionMatrix.Counts;
}

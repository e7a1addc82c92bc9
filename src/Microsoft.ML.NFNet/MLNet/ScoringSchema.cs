using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>How a scoring transformer turns images into numbers: the network, what it outputs, the batch size, and the
/// hint an undecodable image's error ends with.</summary>
internal sealed record ImageScorer(ScoringNetwork Network, NetworkOutput Output, int BatchSize, string InvalidImageHint);

/// <summary>
/// The output schema of a scoring transformer (the classifier's <c>Score</c>/<c>PredictedLabel</c>, the featurizer's
/// features) for one input schema: the input columns unchanged, then the hidden <see cref="SequentialScoringType"/>
/// column, then the outputs, then the optional invalid-image flag. Shared by the batching cursor (<c>Transform</c>)
/// and the one-row mapper (<c>PredictionEngine</c>), so both produce the same columns.
/// </summary>
internal sealed class ScoringSchema
{
    private ScoringSchema(DataViewSchema input, DataViewSchema output, DataViewSchema.Column image, ImageScorer scorer,
        int vector, int predictedLabel, int invalidFlag, int marker)
    {
        InputSchema = input;
        OutputSchema = output;
        ImageColumn = image;
        Scorer = scorer;
        VectorColumn = vector;
        PredictedLabelColumn = predictedLabel;
        InvalidFlagColumn = invalidFlag;
        MarkerColumn = marker;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    /// <summary>The encoded image bytes, in <see cref="InputSchema"/>.</summary>
    public DataViewSchema.Column ImageColumn { get; }

    public ImageScorer Scorer { get; }

    /// <summary>Index in <see cref="OutputSchema"/> of the network's output vector (Score or features).</summary>
    public int VectorColumn { get; }

    /// <summary>Index of the predicted-label key column, or -1 (featurizer).</summary>
    public int PredictedLabelColumn { get; }

    /// <summary>Index of the Boolean "image could not be decoded" column, or -1 when bad images fail the row.</summary>
    public int InvalidFlagColumn { get; }

    public int MarkerColumn { get; }

    /// <summary>Whether undecodable images give NaN scores and a flag instead of an error.</summary>
    public bool ToleratesInvalidImages => InvalidFlagColumn >= 0;

    /// <summary>Output columns below this index are the input's, passed through.</summary>
    public int PassThroughCount => InputSchema.Count;

    /// <summary>
    /// Builds the schema. <paramref name="outputs"/> are the scored columns in order; one is named
    /// <paramref name="vectorColumnName"/> (a float vector of the network's width) and, for a classifier, one
    /// <paramref name="predictedLabelColumnName"/> (a key).
    /// </summary>
    public static ScoringSchema Create(DataViewSchema input, DataViewSchema.Column image, IEnumerable<DataViewSchema.DetachedColumn> outputs,
        string vectorColumnName, string? predictedLabelColumnName, string? invalidImageColumnName, ImageScorer scorer)
    {
        var scored = outputs.ToList();
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        // Hidden by the first output, which has its name.
        builder.AddColumn(scored[0].Name, SequentialScoringType.Instance);
        builder.AddColumns(scored);
        if (invalidImageColumnName is not null)
            builder.AddColumn(invalidImageColumnName, BooleanDataViewType.Instance);
        var schema = builder.ToSchema();

        int IndexOf(string name)
        {
            var index = scored.FindIndex(c => c.Name == name);
            return index >= 0 ? input.Count + 1 + index : throw new InvalidOperationException($"No scored column '{name}'.");
        }
        var predicted = predictedLabelColumnName is null ? -1 : IndexOf(predictedLabelColumnName);
        var flag = invalidImageColumnName is null ? -1 : schema.Count - 1;
        return new ScoringSchema(input, schema, image, scorer, IndexOf(vectorColumnName), predicted, flag, input.Count);
    }

    /// <summary>Whether output column <paramref name="index"/> is one this transformer computes.</summary>
    public bool IsScored(int index) => index >= PassThroughCount;
}

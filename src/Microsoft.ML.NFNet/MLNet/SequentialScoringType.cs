using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The type of the hidden column that the scoring transformers put before their outputs (it has the name of the first
/// output, which hides it). ML.NET splits a cursor onto worker threads only when every active column is of a type it
/// can cache; this type is not, so a downstream transform (e.g. <c>MapKeyToValue("PredictedLabel")</c>) reads the
/// batching cursor on the caller's thread. On a worker thread an exception — a bad image, naming its row — would reach
/// the caller only wrapped in ML.NET's "Splitter/consolidator worker encountered exception while consuming source
/// data". Batching is the same either way: the cursor is read in order.
/// </summary>
internal sealed class SequentialScoringType : StructuredDataViewType
{
    private SequentialScoringType() : base(typeof(SequentialScoring))
    {
    }

    /// <summary>The one instance.</summary>
    public static SequentialScoringType Instance { get; } = new();

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) => other is SequentialScoringType;

    /// <inheritdoc/>
    public override bool Equals(object? other) => other is SequentialScoringType;

    /// <inheritdoc/>
    public override int GetHashCode() => typeof(SequentialScoringType).GetHashCode();

    /// <inheritdoc/>
    public override string ToString() => "NFNetSequentialScoring";
}

/// <summary>The (only) value of a <see cref="SequentialScoringType"/> column.</summary>
internal sealed class SequentialScoring
{
    private SequentialScoring()
    {
    }

    /// <summary>The value every row has.</summary>
    public static SequentialScoring Value { get; } = new();

    /// <inheritdoc/>
    public override string ToString() => "scored in batches, in order";
}

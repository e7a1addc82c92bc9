using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>The getters of the columns a scoring transformer adds, over whatever batch and row are current.</summary>
internal static class ScoredGetters
{
    /// <summary>The getter of scored column <paramref name="column"/>.</summary>
    /// <param name="schema">The transformer's output schema.</param>
    /// <param name="column">An index of a scored column in <see cref="ScoringSchema.OutputSchema"/>.</param>
    /// <param name="current">The batch and the row in it, computed on demand.</param>
    /// <param name="where">Names the current row in errors.</param>
    public static ValueGetter<TValue> Create<TValue>(ScoringSchema schema, int column, Func<(ScoredBatch Batch, int Slot)> current,
        Func<string> where)
    {
        Delegate getter;
        if (column == schema.VectorColumn)
        {
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                var (batch, slot) = current();
                batch.GetVector(slot, ref dst, where);
            });
        }
        else if (column == schema.PredictedLabelColumn)
        {
            getter = (ValueGetter<uint>)((ref uint dst) =>
            {
                var (batch, slot) = current();
                dst = batch.GetPredictedLabel(slot, where);
            });
        }
        else if (column == schema.InvalidFlagColumn)
        {
            getter = (ValueGetter<bool>)((ref bool dst) =>
            {
                var (batch, slot) = current();
                dst = batch.IsInvalid(slot);
            });
        }
        else if (column == schema.MarkerColumn)
        {
            getter = (ValueGetter<SequentialScoring>)((ref SequentialScoring dst) => dst = SequentialScoring.Value);
        }
        else
        {
            throw new InvalidOperationException($"Column {column} is not one the NFNet transformer computes.");
        }
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
            $"Invalid TValue in GetGetter: '{typeof(TValue)}'; column '{schema.OutputSchema[column].Name}' holds " +
            $"{schema.OutputSchema[column].Type.RawType}.");
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// What <c>Transform</c> of a scoring transformer returns: the input rows with the scored columns added, computed
/// lazily by a <see cref="BatchScoringCursor"/> that scores <see cref="ImageScorer.BatchSize"/> images per forward pass.
/// </summary>
/// <remarks>
/// A request for several cursors gets one: the forward passes take turns on one network anyway, and that network
/// already uses every core, so parallel cursors would only add copies. Only when no scored column is needed does the
/// request go to the input as it is.
/// </remarks>
internal sealed class BatchScoredDataView(IDataView input, ScoringSchema schema) : IDataView
{
    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => schema.OutputSchema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (active, scoring, inputColumns) = Activity(columnsNeeded);
        return new BatchScoringCursor(schema, input.GetRowCursor(inputColumns, rand), active, scoring);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (active, scoring, inputColumns) = Activity(columnsNeeded);
        if (scoring)
            return [new BatchScoringCursor(schema, input.GetRowCursor(inputColumns, rand), active, scoring)];
        return input.GetRowCursorSet(inputColumns, n, rand).Select(c => (DataViewRowCursor)new BatchScoringCursor(schema, c, active, false)).ToArray();
    }

    private (bool[] Active, bool Scoring, List<DataViewSchema.Column> InputColumns) Activity(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            if (column.Index >= active.Length)
                throw new ArgumentOutOfRangeException(nameof(columnsNeeded), $"Column '{column.Name}' is not a column of this data view.");
            active[column.Index] = true;
        }
        var scoring = active.Skip(schema.PassThroughCount).Any(a => a);
        if (scoring)
            active[schema.MarkerColumn] = true;
        var inputColumns = schema.InputSchema.Where(c => active[c.Index] || (scoring && c.Index == schema.ImageColumn.Index)).ToList();
        return (active, scoring, inputColumns);
    }
}

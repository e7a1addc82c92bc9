using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The row-to-row mapper of a scoring transformer, what a <c>PredictionEngine</c> runs: each input row's image is
/// scored on its own (a batch of one) the first time one of its scored columns is read. Engines made from one
/// transformer each get their own mapper and may run concurrently; their forward passes take turns on the shared network.
/// </summary>
internal sealed class SingleImageRowMapper(ScoringSchema schema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => schema.InputSchema;

    public DataViewSchema OutputSchema => schema.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new bool[schema.InputSchema.Count];
        foreach (var column in dependingColumns)
        {
            if (schema.IsScored(column.Index))
                needed[schema.ImageColumn.Index] = true;
            else
                needed[column.Index] = true;
        }
        return schema.InputSchema.Where(c => needed[c.Index]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        var active = new bool[schema.OutputSchema.Count];
        foreach (var column in activeColumns)
            active[column.Index] = true;
        return new ScoredRow(schema, input, active);
    }

    /// <summary>One input row with the scored columns added.</summary>
    private sealed class ScoredRow : DataViewRow
    {
        private readonly ScoringSchema schema;
        private readonly DataViewRow input;
        private readonly bool[] active;
        private readonly ScoredBatch batch;
        private readonly ValueGetter<VBuffer<byte>>? imageGetter;
        private VBuffer<byte> image;
        private long scoredPosition = -1;

        public ScoredRow(ScoringSchema schema, DataViewRow input, bool[] active)
        {
            this.schema = schema;
            this.input = input;
            this.active = active;
            batch = new ScoredBatch(schema);
            if (active.Skip(schema.PassThroughCount).Any(a => a))
                imageGetter = input.GetGetter<VBuffer<byte>>(schema.ImageColumn);
        }

        public override DataViewSchema Schema => schema.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index >= active.Length || !active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            if (!schema.IsScored(column.Index))
                return input.GetGetter<TValue>(schema.InputSchema[column.Index]);
            return ScoredGetters.Create<TValue>(schema, column.Index, Current, () => $"The image in the '{schema.ImageColumn.Name}' column");
        }

        // Scores the current input row once, however many of its scored columns are read (as ML.NET's scorers cache by position).
        private (ScoredBatch, int) Current()
        {
            if (scoredPosition != input.Position || batch.Count == 0)
            {
                imageGetter!(ref image);
                batch.Score([image.DenseValues().ToArray()]);
                scoredPosition = input.Position;
            }
            return (batch, 0);
        }
    }
}

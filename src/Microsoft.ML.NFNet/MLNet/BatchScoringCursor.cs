using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The cursor of <see cref="BatchScoredDataView"/>: reads the next <see cref="ImageScorer.BatchSize"/> rows of its one
/// input cursor ahead — the image bytes and every active pass-through column, copied into <see cref="ColumnBuffer"/>s —
/// scores their images in one forward pass, then serves the rows one by one in their input order.
/// </summary>
/// <remarks>
/// One input cursor, read once, in order: the input is enumerated once (a one-shot source works, upstream transforms
/// run once per row), rows cannot get out of step, and ids and positions stay the input's. The price is that the
/// pass-through values of up to one batch are held at a time, and an upstream getter runs for rows the consumer has not
/// reached yet. When no scored column is active the cursor simply passes the input through.
/// </remarks>
internal sealed class BatchScoringCursor : DataViewRowCursor
{
    private readonly ScoringSchema schema;
    private readonly DataViewRowCursor input;
    private readonly bool[] active;
    private readonly bool scoring;
    private readonly ColumnBuffer?[] buffers;
    private readonly ValueGetter<VBuffer<byte>>? imageGetter;
    private readonly ValueGetter<DataViewRowId>? idGetter;
    private readonly DataViewRowId[] ids;
    private readonly List<ReadOnlyMemory<byte>> images;
    private readonly ScoredBatch batch;
    private VBuffer<byte> image;
    private int slot = -1;
    private long position = -1;

    /// <param name="schema">The output schema.</param>
    /// <param name="input">The input cursor, with the image column active when <paramref name="scoring"/>.</param>
    /// <param name="active">Active flags per output column.</param>
    /// <param name="scoring">Whether any scored column is active.</param>
    public BatchScoringCursor(ScoringSchema schema, DataViewRowCursor input, bool[] active, bool scoring)
    {
        this.schema = schema;
        this.input = input;
        this.active = active;
        this.scoring = scoring;
        batch = new ScoredBatch(schema);
        var size = schema.Scorer.BatchSize;
        buffers = new ColumnBuffer?[schema.PassThroughCount];
        ids = scoring ? new DataViewRowId[size] : [];
        images = new List<ReadOnlyMemory<byte>>(scoring ? size : 0);
        if (!scoring)
            return;
        for (var i = 0; i < buffers.Length; i++)
        {
            if (active[i])
                buffers[i] = ColumnBuffer.Create(input, schema.InputSchema[i], size);
        }
        imageGetter = input.GetGetter<VBuffer<byte>>(schema.ImageColumn);
        idGetter = input.GetIdGetter();
    }

    public override DataViewSchema Schema => schema.OutputSchema;

    public override long Position => position;

    public override long Batch => input.Batch;

    public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

    public override bool MoveNext()
    {
        if (!scoring)
        {
            if (!input.MoveNext())
                return false;
            position++;
            return true;
        }
        if (slot + 1 >= batch.Count && !ReadBatch())
            return false;
        slot++;
        position++;
        return true;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index >= active.Length || !active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: ask for it when creating the cursor.");
        if (!schema.IsScored(column.Index))
        {
            return scoring
                ? buffers[column.Index]!.GetGetter<TValue>(() => CurrentSlot)
                : input.GetGetter<TValue>(schema.InputSchema[column.Index]);
        }
        return ScoredGetters.Create<TValue>(schema, column.Index, () => (batch, CurrentSlot), DescribeRow);
    }

    public override ValueGetter<DataViewRowId> GetIdGetter()
    {
        if (!scoring)
            return input.GetIdGetter();
        return (ref DataViewRowId id) => id = ids[CurrentSlot];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            input.Dispose();
        base.Dispose(disposing);
    }

    private int CurrentSlot => slot >= 0 && slot < batch.Count
        ? slot
        : throw new InvalidOperationException("No row is current: call MoveNext first (or the cursor is past its end).");

    private string DescribeRow() => $"Row {position} ('{schema.ImageColumn.Name}' column)";

    // Reads up to one batch of rows and scores them; false at the end of the input.
    private bool ReadBatch()
    {
        images.Clear();
        var count = 0;
        while (count < schema.Scorer.BatchSize && input.MoveNext())
        {
            foreach (var buffer in buffers)
                buffer?.Read(count);
            idGetter!(ref ids[count]);
            imageGetter!(ref image);
            // Copied: the batch outlives the getter's buffer, which ML.NET reuses for the next row.
            images.Add(image.IsDense ? image.GetValues().ToArray() : image.DenseValues().ToArray());
            count++;
        }
        slot = -1;
        batch.Score(images);
        return count > 0;
    }
}

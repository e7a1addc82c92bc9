using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The rows of an <see cref="IDataView"/> that can be trained on, and how many were left out. The view is read once,
/// front to back, through one cursor, so every view works (also one that can only be read sequentially); shuffling and
/// the validation split work on the stored copy, which is in memory while it fits the budget and in a temp file beyond
/// it. Dispose to let the copy go (the temp file is deleted).
/// </summary>
internal sealed class ImageRows : IDisposable
{
    private readonly EncodedImageStore store;

    private ImageRows(EncodedImageStore store, StoredImageDataSource images, long totalRows, long missingLabels)
    {
        this.store = store;
        Images = images;
        TotalRows = totalRows;
        MissingLabels = missingLabels;
    }

    /// <summary>Encoded images with labels <c>key - 1</c>; each is described as "Row {i} ('{column}' column)", i counting
    /// every row of the data view from 0.</summary>
    public StoredImageDataSource Images { get; }

    /// <summary>Rows the data view has.</summary>
    public long TotalRows { get; }

    /// <summary>Rows left out because their label is missing (key 0, e.g. a NaN or unseen value).</summary>
    public long MissingLabels { get; }

    /// <summary>Where the images are kept and why, for the log: "in memory (…)" or "in a temp file … (…)".</summary>
    public string StorageChoice => store.Spilled
        ? $"in a temp file in '{store.Folder}', read back per batch and deleted when training ends ({Megabytes(store.Bytes)} " +
          $"of encoded images, more than the {Megabytes(store.Budget)} kept in memory)"
        : $"in memory ({Megabytes(store.Bytes)} of encoded images; up to {Megabytes(store.Budget)} are kept in memory)";

    /// <summary>
    /// Reads the rows with a label in one pass. Nothing is decoded here: the training engine's one pass over the data
    /// does that, naming a bad row by the description given here.
    /// </summary>
    public static ImageRows Read(IDataView data, string labelColumnName, string featureColumnName, int classCount,
        DataMemoryBudget budget, CancellationToken cancellationToken)
    {
        var labelColumn = data.Schema[labelColumnName];
        var featureColumn = data.Schema[featureColumnName];
        var store = new EncodedImageStore(budget);
        try
        {
            var rowNumbers = new List<long>();
            long rows = 0, missing = 0;
            using (var cursor = data.GetRowCursor([labelColumn, featureColumn]))
            {
                var getLabel = cursor.GetGetter<uint>(labelColumn);
                var getImage = cursor.GetGetter<VBuffer<byte>>(featureColumn);
                uint key = 0;
                VBuffer<byte> image = default;
                for (; cursor.MoveNext(); rows++)
                {
                    if (rows % 1024 == 0)
                        cancellationToken.ThrowIfCancellationRequested();
                    getLabel(ref key);
                    if (key == 0 || key > classCount)
                    {
                        missing++;
                        continue;
                    }
                    getImage(ref image);
                    store.Add(image.IsDense ? image.GetValues() : image.DenseValues().ToArray(), (int)key - 1);
                    rowNumbers.Add(rows);
                }
            }
            store.Complete();
            var images = new StoredImageDataSource(store, classCount, i => $"Row {rowNumbers[i]} ('{featureColumnName}' column)");
            return new ImageRows(store, images, rows, missing);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="data"/> has at least one row (reads at most one).</summary>
    public static bool HasRows(IDataView data)
    {
        if (data.GetRowCount() is { } count)
            return count > 0;
        using var cursor = data.GetRowCursor([]);
        return cursor.MoveNext();
    }

    /// <summary>
    /// Splits off about <paramref name="fraction"/> of each class for validation (at least one image of every class
    /// that has two or more), shuffled with <paramref name="seed"/>; every class keeps at least one training image.
    /// Reads labels only.
    /// </summary>
    public static (StoredImageDataSource Train, StoredImageDataSource Validation) StratifiedSplit(
        StoredImageDataSource source, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, source.Count).GroupBy(source.Label).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var take = members.Length < 2 ? 0 : Math.Clamp((int)Math.Round(members.Length * fraction), 1, members.Length - 1);
            validation.AddRange(members[..take]);
            train.AddRange(members[take..]);
        }
        train.Sort();
        validation.Sort();
        return (source.Subset(train), source.Subset(validation));
    }

    public void Dispose() => store.Dispose();

    private static string Megabytes(long bytes) => $"{bytes / 1048576.0:#,0.#} MiB";
}

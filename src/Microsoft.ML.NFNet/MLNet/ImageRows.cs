using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>The rows of an <see cref="IDataView"/> that can be trained on, and how many were left out.</summary>
/// <param name="Images">Encoded images with labels <c>key - 1</c>; each is described as "Row {i} ('{column}' column)",
/// i counting every row of the data view from 0.</param>
/// <param name="TotalRows">Rows the data view has.</param>
/// <param name="MissingLabels">Rows left out because their label is missing (key 0, e.g. a NaN or unseen value).</param>
internal sealed record ImageRows(InMemoryImageDataSource Images, long TotalRows, long MissingLabels)
{
    /// <summary>
    /// Reads the rows with a label into memory. Nothing is decoded here: the training engine's one pass over the data
    /// does that, naming a bad row by the description given here.
    /// </summary>
    public static ImageRows Read(IDataView data, string labelColumnName, string featureColumnName, int classCount,
        CancellationToken cancellationToken)
    {
        var labelColumn = data.Schema[labelColumnName];
        var featureColumn = data.Schema[featureColumnName];
        var images = new List<LabeledImage>();
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
                images.Add(new LabeledImage(image.DenseValues().ToArray(), (int)key - 1));
                rowNumbers.Add(rows);
            }
        }
        var source = new InMemoryImageDataSource(images, classCount, i => $"Row {rowNumbers[i]} ('{featureColumnName}' column)");
        return new ImageRows(source, rows, missing);
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
    /// </summary>
    public static (InMemoryImageDataSource Train, InMemoryImageDataSource Validation) StratifiedSplit(
        InMemoryImageDataSource source, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, source.Count).GroupBy(i => source[i].Label).OrderBy(g => g.Key))
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
}

using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.MLNet;

/// <summary>
/// Reads an <see cref="IDataView"/> of encoded images and key labels into memory for training, checking every row
/// before any training starts, so a bad row fails in seconds with its row number rather than hours into training.
/// </summary>
internal static class ImageRows
{
    /// <summary>
    /// The rows with a label, as an <see cref="InMemoryImageDataSource"/> with labels <c>key - 1</c> and descriptions
    /// "row {i}" (i counts every row of <paramref name="data"/>, 0-based). Rows with a missing label (key 0) are left out,
    /// as ML.NET trainers do. Every image is decoded once with the training decoder.
    /// </summary>
    /// <remarks>The columns must have been checked by the trainer. <paramref name="what"/> ("training", "validation")
    /// names the data in messages; with <paramref name="skipInvalidImages"/>, undecodable images are left out and counted
    /// in <paramref name="skipped"/> instead of failing.</remarks>
    public static InMemoryImageDataSource Read(IDataView data, string labelColumnName, string featureColumnName,
        int classCount, long maxImagePixels, bool skipInvalidImages, string what, out int skipped)
    {
        var labelColumn = data.Schema[labelColumnName];
        var featureColumn = data.Schema[featureColumnName];
        var rows = new List<(long Row, byte[] Bytes, int Label)>();
        using (var cursor = data.GetRowCursor([labelColumn, featureColumn]))
        {
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var getImage = cursor.GetGetter<VBuffer<byte>>(featureColumn);
            uint key = 0;
            VBuffer<byte> image = default;
            for (long row = 0; cursor.MoveNext(); row++)
            {
                getLabel(ref key);
                if (key == 0 || key > classCount)
                    continue; // missing label
                getImage(ref image);
                rows.Add((row, image.DenseValues().ToArray(), (int)key - 1));
            }
        }

        // Decode-check in parallel with the decoder training uses; report the first bad row in row order.
        var errors = new string?[rows.Count];
        Parallel.For(0, rows.Count, i =>
        {
            try
            {
                ImageDecoder.DecodeRgb(rows[i].Bytes, maxImagePixels).Dispose();
            }
            catch (InvalidImageException e)
            {
                errors[i] = e.Message;
            }
        });
        skipped = 0;
        var images = new List<LabeledImage>(rows.Count);
        var rowNumbers = new List<long>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            if (errors[i] is { } error)
            {
                if (!skipInvalidImages)
                    throw new InvalidImageException(
                        $"Row {rows[i].Row} of the {what} data ('{featureColumnName}' column): {error} " +
                        "Fix or remove the image, or set SkipInvalidImages = true to leave such rows out.");
                skipped++;
                continue;
            }
            images.Add(new LabeledImage(rows[i].Bytes, rows[i].Label));
            rowNumbers.Add(rows[i].Row);
        }
        return new InMemoryImageDataSource(images, classCount, i => $"row {rowNumbers[i]}");
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

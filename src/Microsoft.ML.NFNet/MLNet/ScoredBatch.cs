using Microsoft.ML.Internal.Utilities;
using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The network's outputs for a batch of rows and which rows' images could not be decoded; hands out each row's values
/// the way the output columns present them. One bad image never costs the others their scores: it is reported when its
/// own row is read (an <see cref="InvalidImageException"/> naming the row) or, when the transformer tolerates invalid
/// images, gives NaN scores, a missing predicted label and a true flag.
/// </summary>
internal sealed class ScoredBatch
{
    private readonly ScoringSchema schema;
    private readonly int width;
    private float[] values = [];
    private InvalidImageException?[] invalid = [];

    public ScoredBatch(ScoringSchema schema)
    {
        this.schema = schema;
        width = schema.Scorer.Network.Width(schema.Scorer.Output);
    }

    /// <summary>Rows in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Scores <paramref name="images"/> in one forward pass (empty: nothing to do).</summary>
    public void Score(IReadOnlyList<ReadOnlyMemory<byte>> images)
    {
        Count = 0;
        if (images.Count == 0)
            return;
        if (invalid.Length != images.Count)
            invalid = new InvalidImageException?[images.Count];
        values = schema.Scorer.Network.Run(images, schema.Scorer.Output, invalid);
        Count = images.Count;
    }

    /// <summary>Whether the image of row <paramref name="slot"/> could not be decoded.</summary>
    public bool IsInvalid(int slot) => invalid[slot] is not null;

    /// <summary>The output vector of row <paramref name="slot"/>; NaN everywhere for an invalid image when tolerated.</summary>
    /// <param name="slot">Row in the batch.</param>
    /// <param name="dst">Receives the values.</param>
    /// <param name="where">Names the row for the error, e.g. "Row 12 ('ImageSource' column)".</param>
    public void GetVector(int slot, ref VBuffer<float> dst, Func<string> where)
    {
        var bad = CheckRow(slot, where);
        var editor = VBufferEditor.Create(ref dst, width);
        if (bad)
            editor.Values.Fill(float.NaN);
        else
            values.AsSpan(slot * width, width).CopyTo(editor.Values);
        dst = editor.Commit();
    }

    /// <summary>The predicted class of row <paramref name="slot"/> as a key (class index + 1), chosen as ML.NET's multiclass
    /// scorer chooses it (the first largest score; 0, missing, when every score is NaN).</summary>
    public uint GetPredictedLabel(int slot, Func<string> where)
    {
        if (CheckRow(slot, where))
            return 0;
        var index = MathUtils.ArgMax(values.AsSpan(slot * width, width));
        return index < 0 ? 0 : (uint)index + 1;
    }

    // True when the row's image was invalid and that is tolerated; throws when it is not.
    private bool CheckRow(int slot, Func<string> where)
    {
        if ((uint)slot >= (uint)Count)
            throw new InvalidOperationException("No row is current: call MoveNext first (or the cursor is past its end).");
        if (invalid[slot] is not { } failure)
            return false;
        if (schema.ToleratesInvalidImages)
            return true;
        throw failure.At(where(), schema.Scorer.InvalidImageHint);
    }
}

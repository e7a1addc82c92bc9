using SkiaSharp;

namespace Microsoft.ML.NFNet.Samples.SmallData;

/// <summary>
/// Test-time augmentation measured from outside the model: every test image is also scored shifted by a few pixels
/// (and mirrored, when the model was trained with flips), and the class probabilities are averaged. Shows whether an
/// averaging option in the library would pay for its extra scoring time.
/// </summary>
internal static class ShiftedViews
{
    /// <summary>The views of one encoded image: shifted by ±<paramref name="shift"/> pixels left/right and up/down
    /// (the uncovered edge filled with the corner's colour), and the mirrored original when <paramref name="mirror"/>.</summary>
    public static byte[][] Of(byte[] encoded, int shift, bool mirror)
    {
        using var bitmap = SKBitmap.Decode(encoded);
        var views = new List<byte[]>();
        foreach (var (dx, dy) in new[] { (-shift, 0), (shift, 0), (0, -shift), (0, shift) })
            views.Add(Draw(bitmap, dx, dy, flip: false));
        if (mirror)
            views.Add(Draw(bitmap, 0, 0, flip: true));
        return views.ToArray();
    }

    private static byte[] Draw(SKBitmap source, int dx, int dy, bool flip)
    {
        using var target = new SKBitmap(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(target))
        {
            canvas.Clear(source.GetPixel(0, 0));
            if (flip)
            {
                canvas.Translate(source.Width, 0);
                canvas.Scale(-1, 1);
            }
            canvas.DrawBitmap(source, dx, dy);
        }
        using var data = target.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

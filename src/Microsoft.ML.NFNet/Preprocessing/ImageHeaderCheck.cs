using SkiaSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// What the check before training needs of an image, read from its header without decoding a pixel: the size as shown
/// (after EXIF rotation), whether it is stored as grayscale, and whether the file ends as its format requires.
/// </summary>
/// <remarks>
/// A complete-looking ending is what makes the header enough: a file cut short (an interrupted copy or download, the
/// usual damage) loses its ending. Only JPEG (the end-of-image marker) and PNG (the IEND chunk) are judged this way;
/// for every other format, and for a JPEG or PNG with anything after its end marker, <see cref="NeedsDecoding"/> is
/// true and the caller decodes the image to be sure.
/// </remarks>
/// <param name="Width">Pixels per row as shown.</param>
/// <param name="Height">Rows as shown.</param>
/// <param name="Grayscale">Stored with one (gray) channel.</param>
/// <param name="NeedsDecoding">The header alone cannot vouch for the image.</param>
internal readonly record struct ImageHeaderCheck(int Width, int Height, bool Grayscale, bool NeedsDecoding)
{
    private static readonly byte[] JpegEnd = [0xFF, 0xD9];
    private static readonly byte[] PngEnd = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    /// <summary>Reads the header of <paramref name="encoded"/> and checks its size against <paramref name="limit"/>.</summary>
    /// <exception cref="InvalidImageException">The bytes are empty, or the header declares an unacceptable size.</exception>
    /// <returns>null where Skia cannot read the header (TIFF, which ImageSharp decodes, or not an image at all): decoding
    /// gives the verdict.</returns>
    public static ImageHeaderCheck? Read(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        if (encoded.IsEmpty)
            throw new InvalidImageException("The image is empty (zero bytes).");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            return null;
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        limit.ThrowIfUnacceptable(width, height);
        var ending = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => JpegEnd,
            SKEncodedImageFormat.Png => PngEnd,
            _ => null,
        };
        var complete = ending is not null && encoded.EndsWith(ending);
        return Rotated(codec.EncodedOrigin)
            ? new ImageHeaderCheck(height, width, codec.Info.ColorType == SKColorType.Gray8, !complete)
            : new ImageHeaderCheck(width, height, codec.Info.ColorType == SKColorType.Gray8, !complete);
    }

    private static bool Rotated(SKEncodedOrigin origin) => origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
        or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
}

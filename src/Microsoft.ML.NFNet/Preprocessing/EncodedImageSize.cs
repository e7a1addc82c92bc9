using SkiaSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The width and height an encoded image declares in its header, read without decoding any pixel: for a limit of one's
/// own (a server's, say) that must refuse a small file claiming enormous dimensions before it reaches a model.
/// </summary>
/// <remarks>The size is as stored, before any EXIF rotation (which swaps width and height but keeps the pixel count).
/// The header is read by the decoder that would decode the image, for every format the library reads.</remarks>
/// <param name="Width">Pixels per row, as the header declares.</param>
/// <param name="Height">Rows, as the header declares.</param>
internal readonly record struct EncodedImageSize(long Width, long Height)
{
    /// <summary>Width × height .</summary>
    public long Pixels
    {
        get
        {
            var pixels = (Int128)Width * Height;
            return pixels > long.MaxValue ? long.MaxValue : (long)pixels;
        }
    }

    /// <summary>Reads the size from the header of <paramref name="encoded"/>.</summary>
    /// <exception cref="InvalidImageException">The bytes are empty, not an image in a supported format, or the header is
    /// truncated or corrupt.</exception>
    public static EncodedImageSize Read(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
            throw new InvalidImageException("The image is empty (zero bytes).");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is not null)
            return new EncodedImageSize(codec.Info.Width, codec.Info.Height);
        var (width, height) = ImageSharpDecoder.ReadSize(encoded);
        return new EncodedImageSize(width, height);
    }
}

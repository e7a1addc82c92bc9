namespace Microsoft.ML.NFNet;

/// <summary>The decoders for the formats SkiaSharp does not read, chosen by the format the file's signature names.</summary>
internal static class FormatDecoders
{
    /// <summary>Decodes <paramref name="encoded"/>, sniffed as <paramref name="format"/>, to 8-bit RGBA.</summary>
    /// <exception cref="InvalidImageException">The image is too large, truncated, corrupt or unsupported.</exception>
    public static RgbaPixels Decode(ReadOnlySpan<byte> encoded, EncodedImageFormat format, ImageSizeLimit limit) => format switch
    {
        EncodedImageFormat.Qoi => QoiDecoder.Decode(encoded, limit),
        EncodedImageFormat.Netpbm => NetpbmDecoder.Decode(encoded, limit),
        EncodedImageFormat.Tiff or EncodedImageFormat.Tga => ImageSharpDecoder.Decode(encoded, format, limit),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "SkiaSharp decodes this format."),
    };
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// Recognises an image format from its first bytes, so that each format goes straight to the decoder that reads it
/// (instead of trying one decoder after another).
/// </summary>
internal static class ImageFormatSniffer
{
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static ReadOnlySpan<byte> IconSignature => [0, 0, 1, 0];
    private static ReadOnlySpan<byte> CursorSignature => [0, 0, 2, 0];

    /// <summary>The format whose signature <paramref name="encoded"/> starts with, or <see cref="EncodedImageFormat.Unknown"/>.</summary>
    public static EncodedImageFormat Sniff(ReadOnlySpan<byte> encoded)
    {
        if (encoded.StartsWith(JpegSignature))
            return EncodedImageFormat.Jpeg;
        if (encoded.StartsWith(PngSignature))
            return EncodedImageFormat.Png;
        if (encoded.StartsWith("GIF87a"u8) || encoded.StartsWith("GIF89a"u8))
            return EncodedImageFormat.Gif;
        if (encoded.StartsWith("BM"u8))
            return EncodedImageFormat.Bmp;
        if (encoded.Length >= 12 && encoded.StartsWith("RIFF"u8) && encoded[8..12].SequenceEqual("WEBP"u8))
            return EncodedImageFormat.Webp;
        // An icon or cursor directory holds at least one image; the count tells a cursor from the most common TGA
        // header (no ID, no colour map, true colour), which starts with the same four bytes.
        if ((encoded.StartsWith(IconSignature) || encoded.StartsWith(CursorSignature)) && encoded.Length >= 6 && (encoded[4] | encoded[5]) != 0)
            return EncodedImageFormat.Ico;
        if (encoded.StartsWith("II*\0"u8) || encoded.StartsWith("MM\0*"u8) ||
            encoded.StartsWith("II+\0"u8) || encoded.StartsWith("MM\0+"u8))
            return EncodedImageFormat.Tiff; // classic and BigTIFF
        if (encoded.StartsWith("qoif"u8))
            return EncodedImageFormat.Qoi;
        if (encoded.Length >= 3 && encoded[0] == 'P' && encoded[1] is >= (byte)'1' and <= (byte)'7' && NetpbmHeader.IsWhitespace(encoded[2]))
            return EncodedImageFormat.Netpbm;
        // TGA has no signature: last, and only for a header whose every field is valid.
        if (TgaHeader.TryRead(encoded, out _))
            return EncodedImageFormat.Tga;
        return EncodedImageFormat.Unknown;
    }

    /// <summary>Whether SkiaSharp decodes <paramref name="format"/> (the faster path, and the one ML.NET's MLImage uses).</summary>
    public static bool IsDecodedBySkia(this EncodedImageFormat format) => format is
        EncodedImageFormat.Jpeg or EncodedImageFormat.Png or EncodedImageFormat.Gif or EncodedImageFormat.Bmp or
        EncodedImageFormat.Webp or EncodedImageFormat.Ico or EncodedImageFormat.Unknown;
}

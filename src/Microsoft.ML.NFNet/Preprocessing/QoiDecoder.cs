using System.Buffers.Binary;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A strict decoder for the Quite OK Image format (QOI 1.0, qoiformat.org), which neither SkiaSharp nor ImageSharp 2.1
/// reads. Strict where the reference decoder is lenient: a stream that ends before the last pixel, a run past the last
/// pixel or a missing end marker is an error, not a silently padded image. Bytes after the end marker are ignored.
/// </summary>
internal static class QoiDecoder
{
    private const int HeaderSize = 14;
    private const byte OpRgb = 0xFE, OpRgba = 0xFF;
    private const int OpIndex = 0, OpDiff = 1, OpLuma = 2, OpRun = 3; // the 2-bit tags
    private static ReadOnlySpan<byte> EndMarker => [0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>Decodes a QOI file whose header declares a size within <paramref name="limit"/>.</summary>
    /// <exception cref="InvalidImageException">The header is corrupt, the image is too large, or the data is truncated or corrupt.</exception>
    public static RgbaPixels Decode(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        var (width, height) = ReadHeader(encoded);
        limit.ThrowIfUnacceptable(width, height);
        var pixels = new RgbaPixels((int)width, (int)height);
        try
        {
            DecodeChunks(encoded, pixels.Bytes, pixels.Width * pixels.Height);
            return pixels;
        }
        catch
        {
            pixels.Dispose();
            throw;
        }
    }

    /// <summary>The dimensions the header declares, after checking its signature and fields.</summary>
    public static (long Width, long Height) ReadHeader(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < HeaderSize || !encoded.StartsWith("qoif"u8))
            throw new InvalidImageException(
                $"The QOI data is truncated: the 14-byte header is incomplete ({encoded.Length:N0} bytes).");
        var width = BinaryPrimitives.ReadUInt32BigEndian(encoded[4..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(encoded[8..]);
        byte channels = encoded[12], colorSpace = encoded[13];
        if (channels is not (3 or 4) || colorSpace > 1)
            throw new InvalidImageException(
                $"The QOI header is corrupt: channels = {channels} (must be 3 or 4), colour space = {colorSpace} (must be 0 or 1).");
        return (width, height);
    }

    private static void DecodeChunks(ReadOnlySpan<byte> encoded, Span<byte> rgba, int pixelCount)
    {
        Span<uint> seen = stackalloc uint[64]; // the running index of previously seen pixels, as packed RGBA
        seen.Clear();
        byte r = 0, g = 0, b = 0, a = 255;
        var position = HeaderSize;
        for (var pixel = 0; pixel < pixelCount;)
        {
            if (position >= encoded.Length)
                throw Truncated(pixel, pixelCount);
            var tag = encoded[position++];
            var run = 1;
            if (tag is OpRgb or OpRgba)
            {
                var size = tag == OpRgb ? 3 : 4;
                if (position + size > encoded.Length)
                    throw Truncated(pixel, pixelCount);
                (r, g, b) = (encoded[position], encoded[position + 1], encoded[position + 2]);
                if (tag == OpRgba)
                    a = encoded[position + 3];
                position += size;
            }
            else
            {
                switch (tag >> 6)
                {
                    case OpIndex:
                        var packed = seen[tag];
                        (r, g, b, a) = ((byte)packed, (byte)(packed >> 8), (byte)(packed >> 16), (byte)(packed >> 24));
                        break;
                    case OpDiff: // each channel's difference from the previous pixel, -2..1, with wraparound
                        r += (byte)(((tag >> 4) & 3) - 2);
                        g += (byte)(((tag >> 2) & 3) - 2);
                        b += (byte)((tag & 3) - 2);
                        break;
                    case OpLuma: // green's difference -32..31; red's and blue's relative to green's, -8..7
                        if (position >= encoded.Length)
                            throw Truncated(pixel, pixelCount);
                        var second = encoded[position++];
                        var greenDifference = (tag & 0x3F) - 32;
                        r += (byte)(greenDifference - 8 + (second >> 4));
                        g += (byte)greenDifference;
                        b += (byte)(greenDifference - 8 + (second & 0x0F));
                        break;
                    case OpRun: // 1..62 copies of the previous pixel (63 and 64 are the RGB / RGBA tags)
                        run = (tag & 0x3F) + 1;
                        if (pixel + run > pixelCount)
                            throw new InvalidImageException(
                                $"The QOI data is corrupt: a run of {run} pixels at pixel {pixel:N0} goes past the last pixel ({pixelCount:N0}).");
                        break;
                }
            }
            seen[(r * 3 + g * 5 + b * 7 + a * 11) % 64] = (uint)(r | g << 8 | b << 16 | a << 24);
            for (var end = pixel + run; pixel < end; pixel++)
            {
                var offset = pixel * RgbaPixels.BytesPerPixel;
                (rgba[offset], rgba[offset + 1], rgba[offset + 2], rgba[offset + 3]) = (r, g, b, a);
            }
        }
        if (position + EndMarker.Length > encoded.Length)
            throw new InvalidImageException(
                $"The QOI data is truncated: all {pixelCount:N0} pixels are present but the 8-byte end marker is missing.");
        if (!encoded.Slice(position, EndMarker.Length).SequenceEqual(EndMarker))
            throw new InvalidImageException(
                "The QOI data is corrupt: the pixel data does not end with the end marker (7 zero bytes and a 1) " +
                $"at byte {position:N0}.");
    }

    private static InvalidImageException Truncated(int decodedPixels, int pixelCount) => new(
        $"The QOI data is truncated: the file ends after {decodedPixels:N0} of {pixelCount:N0} pixels.");
}

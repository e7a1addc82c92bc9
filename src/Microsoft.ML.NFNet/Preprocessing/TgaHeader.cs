using System.Buffers.Binary;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The 18-byte Truevision TGA header: enough to recognise the format (it has no signature), to apply the pixel limit
/// before decoding, and to check that the file holds all the pixel data it declares (ImageSharp 2.1's TGA decoder fills
/// missing data with zeros instead of failing).
/// </summary>
internal readonly record struct TgaHeader(
    int IdLength, int ColorMapType, int ImageType, int ColorMapLength, int ColorMapEntryBits, int Width, int Height, int PixelBits)
{
    private const int Size = 18;

    private bool IsRunLengthEncoded => ImageType >= 9;
    private int BytesPerPixel => (PixelBits + 7) / 8;
    private int PixelDataOffset => Size + IdLength + ColorMapType * ColorMapLength * ((ColorMapEntryBits + 7) / 8);

    /// <summary>Reads the header if every field holds a value the format allows (dimensions may be zero).</summary>
    public static bool TryRead(ReadOnlySpan<byte> encoded, out TgaHeader header)
    {
        header = default;
        if (encoded.Length < Size)
            return false;
        int colorMapType = encoded[1], imageType = encoded[2], colorMapEntryBits = encoded[7], pixelBits = encoded[16];
        var hasColorMap = colorMapType == 1;
        var validType = imageType switch
        {
            1 or 9 => hasColorMap, // colour-mapped
            2 or 3 or 10 or 11 => colorMapType is 0 or 1, // true-colour, grayscale (a map may be present and unused)
            _ => false,
        };
        if (!validType || pixelBits is not (8 or 15 or 16 or 24 or 32) ||
            (hasColorMap && colorMapEntryBits is not (15 or 16 or 24 or 32)) || encoded[17] >> 6 != 0)
            return false;
        header = new TgaHeader(encoded[0], colorMapType, imageType, BinaryPrimitives.ReadUInt16LittleEndian(encoded[5..]),
            colorMapEntryBits, BinaryPrimitives.ReadUInt16LittleEndian(encoded[12..]),
            BinaryPrimitives.ReadUInt16LittleEndian(encoded[14..]), pixelBits);
        return true;
    }

    /// <summary>
    /// Throws unless the file holds the colour map and every pixel the header declares (for run-length data, by walking
    /// the packet headers). Call after the pixel limit, so the walk is bounded.
    /// </summary>
    public void ThrowIfDataIsMissing(ReadOnlySpan<byte> encoded)
    {
        // ImageSharp 2.1 reads the dimensions as signed 16-bit numbers.
        if (Width > short.MaxValue || Height > short.MaxValue)
            throw new InvalidImageException(
                $"The TGA image is {Width:N0}×{Height:N0} pixels; the TGA decoder reads at most {short.MaxValue:N0} pixels a side. " +
                "Convert the image to PNG or TIFF.");
        long pixels = (long)Width * Height;
        long end = PixelDataOffset;
        if (!IsRunLengthEncoded)
            end += pixels * BytesPerPixel;
        else
        {
            for (long decoded = 0; decoded < pixels; )
            {
                if (end >= encoded.Length)
                {
                    end = long.MaxValue; // the packets end before the last pixel
                    break;
                }
                var packet = encoded[(int)end++];
                var count = (packet & 0x7F) + 1;
                end += (packet & 0x80) != 0 ? BytesPerPixel : (long)count * BytesPerPixel;
                decoded += count;
            }
        }
        if (end > encoded.Length)
            throw new InvalidImageException(
                $"The TGA image data is truncated: its header declares {Width:N0}×{Height:N0} pixels " +
                $"({(IsRunLengthEncoded ? "run-length encoded" : "uncompressed")}), but the file ends after {encoded.Length:N0} bytes.");
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// A "pixel bomb": a valid PNG of black pixels whose size on disk is about a thousandth of its decoded size (rows of
/// zeros deflate ~1,000:1), so 7,900 × 7,900 pixels (250 MB of RGBA) fit in a 182 KB upload.
/// </summary>
internal static class PixelBomb
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>An 8-bit RGB PNG of <paramref name="width"/> × <paramref name="height"/> black pixels.</summary>
    public static byte[] Png(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", Header(width, height));
        WriteChunk(png, "IDAT", BlackRows(width, height));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The header of <see cref="Png"/> with the pixel data of its first row only: decoding it fails as
    /// truncated, so only a check of the header can answer anything else.</summary>
    public static byte[] PngWithOneRow(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", Header(width, height));
        WriteChunk(png, "IDAT", BlackRows(width, 1));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static byte[] Header(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per sample
        header[9] = 2; // RGB; compression, filter and interlace methods stay 0
        return header;
    }

    private static byte[] BlackRows(int width, int height)
    {
        var row = new byte[1 + 3 * width]; // filter type 0, then the samples
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            for (var y = 0; y < height; y++)
                zlib.Write(row);
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        png.Write(number);
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) over the chunk type and data.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}

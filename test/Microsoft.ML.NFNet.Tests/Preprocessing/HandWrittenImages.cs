using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Minimal encoders, written for these tests from the format specifications, for the files SkiaSharp cannot write:
/// BMP, GIF, ICO, WBMP, palette PNG, a PNG header with arbitrary dimensions, a CMYK JPEG, and a JPEG EXIF orientation tag.
/// </summary>
internal static class HandWrittenImages
{
    /// <summary>24-bit bottom-up BMP (BITMAPINFOHEADER), rows padded to 4 bytes.</summary>
    public static byte[] Bmp(RgbImage image)
    {
        var rowSize = (image.Width * 3 + 3) & ~3;
        var file = new byte[54 + rowSize * image.Height];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40); // info header size
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24); // bits per pixel
        for (var y = 0; y < image.Height; y++)
        for (var x = 0; x < image.Width; x++)
        {
            var offset = 54 + (image.Height - 1 - y) * rowSize + x * 3;
            var (r, g, b) = image[x, y];
            (file[offset], file[offset + 1], file[offset + 2]) = (b, g, r);
        }
        return file;
    }

    /// <summary>A Windows icon holding one image, stored as the PNG <paramref name="png"/> (allowed since Windows Vista).</summary>
    public static byte[] Ico(int width, int height, byte[] png)
    {
        var file = new byte[6 + 16];
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(2), 1); // type: icon
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(4), 1); // one image
        (file[6], file[7]) = ((byte)width, (byte)height); // 0 would mean 256
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(10), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(12), 32); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), file.Length); // the image follows the directory
        return [.. file, .. png];
    }

    /// <summary>WBMP type 0: 1 bit per pixel (1 = white), rows padded to a byte, most significant bit first. Sides under 128.</summary>
    public static byte[] Wbmp(int width, int height, Func<int, int, bool> isWhite)
    {
        var rowBytes = (width + 7) / 8;
        var file = new byte[4 + rowBytes * height];
        (file[2], file[3]) = ((byte)width, (byte)height); // type 0, fixed header 0, then one-byte multi-byte integers
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            if (isWhite(x, y))
                file[4 + y * rowBytes + x / 8] |= (byte)(0x80 >> (x % 8));
        return file;
    }

    /// <summary>
    /// GIF89a with a 4-colour global palette. The LZW stream sends a clear code before every second pixel, so the code
    /// width never grows past 3 bits: valid, uncompressed, and simple.
    /// </summary>
    public static byte[] Gif(int width, int height, (byte R, byte G, byte B)[] palette, Func<int, int, int> indexAt)
    {
        const int minCodeSize = 2, clearCode = 4, endCode = 5, codeBits = 3;
        var output = new List<byte>();
        output.AddRange("GIF89a"u8.ToArray());
        output.AddRange(LittleEndian16(width));
        output.AddRange(LittleEndian16(height));
        output.AddRange(new byte[] { 0b1000_0001, 0, 0 }); // global colour table of 2^(1+1) entries
        foreach (var (r, g, b) in palette)
            output.AddRange(new[] { r, g, b });
        output.Add(0x2C); // image descriptor at (0, 0), full size, no local table
        output.AddRange(LittleEndian16(0));
        output.AddRange(LittleEndian16(0));
        output.AddRange(LittleEndian16(width));
        output.AddRange(LittleEndian16(height));
        output.Add(0);

        var codes = new List<int>();
        for (var i = 0; i < width * height; i++)
        {
            if (i % 2 == 0)
                codes.Add(clearCode);
            codes.Add(indexAt(i % width, i / width));
        }
        codes.Add(endCode);
        var packed = new List<byte>();
        int accumulator = 0, bitCount = 0;
        foreach (var code in codes)
        {
            accumulator |= code << bitCount;
            bitCount += codeBits;
            for (; bitCount >= 8; bitCount -= 8, accumulator >>= 8)
                packed.Add((byte)accumulator);
        }
        if (bitCount > 0)
            packed.Add((byte)accumulator);

        output.Add(minCodeSize);
        foreach (var chunk in packed.Chunk(255))
        {
            output.Add((byte)chunk.Length);
            output.AddRange(chunk);
        }
        output.Add(0); // block terminator
        output.Add(0x3B); // trailer
        return output.ToArray();
    }

    /// <summary>8-bit palette PNG (colour type 3).</summary>
    public static byte[] PalettePng(int width, int height, (byte R, byte G, byte B)[] palette, Func<int, int, int> indexAt)
    {
        var rows = new byte[height * (width + 1)];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            rows[y * (width + 1) + 1 + x] = (byte)indexAt(x, y); // filter byte 0 (none) starts every row
        return Png(width, height, bitDepth: 8, colorType: 3,
            palette.SelectMany(color => new[] { color.R, color.G, color.B }).ToArray(), rows);
    }

    /// <summary>A valid PNG whose header claims <paramref name="width"/>×<paramref name="height"/> RGB pixels but
    /// carries only one row of data: what a decompression bomb's header looks like to a decoder.</summary>
    public static byte[] PngClaimingSize(int width, int height) =>
        Png(width, height, bitDepth: 8, colorType: 2, palette: null, new byte[1 + 3]);

    /// <summary>
    /// Baseline JPEG of one 8×8 block per component, 4 components (CMYK) with an Adobe APP14 marker (transform 0), i.e.
    /// the inverted CMYK Photoshop writes. Each component is flat: DC-only blocks with DC quantiser 16 and a one-symbol
    /// Huffman table for DC category 6, so every stored value must be 2·s + 128 with |s| in [32, 63]:
    /// 2..64 or 192..254. Decoders reproduce such flat blocks exactly.
    /// </summary>
    public static byte[] CmykJpeg(byte c, byte m, byte y, byte k)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        Segment(output, 0xEE, "Adobe"u8.ToArray().Concat(new byte[] { 0, 100, 0, 0, 0, 0, 0 }).ToArray());
        var quantTable = new byte[65];
        Array.Fill(quantTable, (byte)1);
        quantTable[0] = 0; // 8-bit precision, table 0
        quantTable[1] = 16; // DC quantiser (zig-zag position 0)
        Segment(output, 0xDB, quantTable);
        Segment(output, 0xC0, new byte[] { 8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0 });
        Segment(output, 0xC4, HuffmanTable(tableClassAndId: 0x00, symbol: 6)); // DC: only category 6, code "0"
        Segment(output, 0xC4, HuffmanTable(tableClassAndId: 0x10, symbol: 0)); // AC: only end-of-block, code "0"
        Segment(output, 0xDA, new byte[] { 4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0 });
        // Per block: DC code "0", 6 magnitude bits, AC end-of-block "0" = one byte, never 0xFF.
        foreach (var value in new[] { c, m, y, k })
            output.Add(DcOnlyBlock(value));
        output.AddRange(new byte[] { 0xFF, 0xD9 });
        return output.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with only an orientation tag (1..8) after a JPEG's start-of-image marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var exif = new List<byte>();
        exif.AddRange("Exif\0\0"u8.ToArray());
        exif.AddRange("II*\0"u8.ToArray()); // little-endian TIFF header
        exif.AddRange(new byte[] { 8, 0, 0, 0 }); // first IFD at offset 8
        exif.AddRange(new byte[] { 1, 0 }); // one entry
        exif.AddRange(new byte[] { 0x12, 0x01, 3, 0, 1, 0, 0, 0 }); // tag 0x0112 orientation, SHORT, count 1
        exif.AddRange(new byte[] { (byte)orientation, (byte)(orientation >> 8), 0, 0 });
        exif.AddRange(new byte[] { 0, 0, 0, 0 }); // no next IFD
        var output = new List<byte> { 0xFF, 0xD8 };
        Segment(output, 0xE1, exif.ToArray());
        output.AddRange(jpeg.Skip(2));
        return output.ToArray();
    }

    private static byte DcOnlyBlock(byte value)
    {
        var quantized = (value - 128) / 2;
        if (value % 2 != 0 || Math.Abs(quantized) is < 32 or > 63)
            throw new ArgumentOutOfRangeException(nameof(value), value, "Use an even value in 2..64 or 192..254.");
        var magnitudeBits = quantized > 0 ? quantized : quantized + 63; // JPEG's one's-complement for negatives
        return (byte)(magnitudeBits << 1);
    }

    private static byte[] HuffmanTable(byte tableClassAndId, byte symbol)
    {
        var table = new byte[1 + 16 + 1];
        table[0] = tableClassAndId;
        table[1] = 1; // one code of length 1
        table[17] = symbol;
        return table;
    }

    private static void Segment(List<byte> output, byte marker, byte[] payload)
    {
        output.AddRange(new byte[] { 0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2) });
        output.AddRange(payload);
    }

    private static byte[] Png(int width, int height, byte bitDepth, byte colorType, byte[]? palette, byte[] rows)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colorType;
        PngChunk(file, "IHDR", header);
        if (palette != null)
            PngChunk(file, "PLTE", palette);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(rows);
            PngChunk(file, "IDAT", compressed.ToArray());
        }
        PngChunk(file, "IEND", []);
        return file.ToArray();
    }

    private static void PngChunk(Stream file, string type, byte[] data)
    {
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        file.Write(number);
        file.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        file.Write(number);
    }

    private static uint Crc32(byte[] bytes)
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

    private static byte[] LittleEndian16(int value) => [(byte)value, (byte)(value >> 8)];
}

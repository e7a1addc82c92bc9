using System.Buffers.Binary;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>One page of a hand-written TIFF: samples in file order (row by row, pixel by pixel, sample by sample).</summary>
internal sealed record TiffPage(int Width, int Height, int SamplesPerPixel, int BitsPerSample, ushort[] Samples)
{
    /// <summary>1 = BlackIsZero (gray), 2 = RGB, 5 = Separated (CMYK).</summary>
    public ushort Photometric { get; init; } = 2;

    /// <summary>EXIF/TIFF orientation 1..8, or 0 to leave the tag out.</summary>
    public ushort Orientation { get; init; }

    /// <summary>Whether the last sample is unassociated alpha (ExtraSamples = 2).</summary>
    public bool HasAlpha { get; init; }

    /// <summary>1 = none; with another scheme, <see cref="StripData"/> holds the compressed strip.</summary>
    public ushort Compression { get; init; } = 1;

    /// <summary>The strip's bytes as stored, replacing <see cref="Samples"/> (for compressed or bit-packed data).</summary>
    public byte[]? StripData { get; init; }
}

/// <summary>
/// A minimal baseline TIFF writer, written for these tests from the TIFF 6.0 specification, for the files ImageSharp 2.1
/// cannot write (16-bit samples, alpha with ExtraSamples, CMYK, several pages, an orientation tag, a crafted
/// compressed strip): little-endian, chunky, one strip per page, uncompressed unless the strip is given. Each page's IFD comes before its pixel data, so cutting the file short
/// truncates pixels, not tags.
/// </summary>
internal static class HandWrittenTiff
{
    private const ushort Short = 3, Long = 4;

    public static byte[] Write(params TiffPage[] pages)
    {
        using var file = new MemoryStream();
        file.Write("II*\0"u8);
        WriteUInt32(file, 8); // first IFD right after the header
        for (var i = 0; i < pages.Length; i++)
            WritePage(file, pages[i], isLast: i == pages.Length - 1);
        return file.ToArray();
    }

    /// <summary>A valid header and IFD declaring <paramref name="width"/>×<paramref name="height"/> 8-bit RGB pixels, with
    /// only one row of data: what a decompression bomb looks like to a decoder.</summary>
    public static byte[] ClaimingSize(int width, int height)
    {
        var file = Write(new TiffPage(1, 1, 3, 8, [1, 2, 3]));
        var entries = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8));
        for (var e = 0; e < entries; e++)
        {
            var entry = file.AsSpan(10 + 12 * e);
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            if (tag is 256 or 257)
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)(tag == 256 ? width : height));
        }
        return file;
    }

    private static void WritePage(MemoryStream file, TiffPage page, bool isLast)
    {
        var bytesPerSample = page.BitsPerSample / 8;
        var data = page.StripData ?? new byte[page.Samples.Length * bytesPerSample];
        for (var i = 0; page.StripData is null && i < page.Samples.Length; i++)
            if (bytesPerSample == 1)
                data[i] = (byte)page.Samples[i];
            else
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), page.Samples[i]);

        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>();
        var ifdOffset = (uint)file.Position;
        var entryCount = 10 + (page.Orientation != 0 ? 1 : 0) + (page.HasAlpha ? 1 : 0);
        var ifdEnd = ifdOffset + 2 + 12u * (uint)entryCount + 4;
        // BitsPerSample holds one value per sample: inline when it fits in 4 bytes, else right after the IFD.
        var bitsInline = page.SamplesPerPixel <= 2;
        var bitsOffset = ifdEnd;
        var dataOffset = bitsInline ? ifdEnd : ifdEnd + 2u * (uint)page.SamplesPerPixel;
        dataOffset += dataOffset % 2; // word alignment

        entries.Add((256, Long, 1, (uint)page.Width));
        entries.Add((257, Long, 1, (uint)page.Height));
        entries.Add((258, Short, (uint)page.SamplesPerPixel,
            bitsInline ? (uint)(page.BitsPerSample | (page.SamplesPerPixel == 2 ? page.BitsPerSample << 16 : 0)) : bitsOffset));
        entries.Add((259, Short, 1, page.Compression));
        entries.Add((262, Short, 1, page.Photometric));
        entries.Add((273, Long, 1, dataOffset));
        if (page.Orientation != 0)
            entries.Add((274, Short, 1, page.Orientation));
        entries.Add((277, Short, 1, (uint)page.SamplesPerPixel));
        entries.Add((278, Long, 1, (uint)page.Height)); // one strip
        entries.Add((279, Long, 1, (uint)data.Length));
        entries.Add((284, Short, 1, 1)); // chunky
        if (page.HasAlpha)
            entries.Add((338, Short, 1, 2)); // unassociated alpha

        WriteUInt16(file, (ushort)entries.Count);
        foreach (var (tag, type, count, value) in entries)
        {
            WriteUInt16(file, tag);
            WriteUInt16(file, type);
            WriteUInt32(file, count);
            WriteUInt32(file, value); // a SHORT value sits in the first two bytes, little-endian
        }
        var nextIfd = dataOffset + (uint)data.Length;
        nextIfd += nextIfd % 2;
        WriteUInt32(file, isLast ? 0 : nextIfd);
        if (!bitsInline)
            for (var s = 0; s < page.SamplesPerPixel; s++)
                WriteUInt16(file, (ushort)page.BitsPerSample);
        while (file.Position < dataOffset)
            file.WriteByte(0);
        file.Write(data);
        while (!isLast && file.Position < nextIfd)
            file.WriteByte(0);
    }

    private static void WriteUInt16(Stream file, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        file.Write(bytes);
    }

    private static void WriteUInt32(Stream file, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        file.Write(bytes);
    }
}

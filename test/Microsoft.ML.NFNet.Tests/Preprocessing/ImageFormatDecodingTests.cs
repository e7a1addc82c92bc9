using System.Text;
using Microsoft.ML.NFNet.Tests.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using static Microsoft.ML.NFNet.Tests.Preprocessing.DecodedPixels;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// The formats beyond SkiaSharp's (TIFF, TGA, PBM/PGM/PPM, QOI) and 16-bit samples, decoded through
/// <see cref="ImageDecoder.DecodeRgb"/> from files written by independent encoders (ImageSharp's, or written here from
/// the specifications) and compared exactly with the source pixels: all these formats are lossless.
/// </summary>
[TestClass]
public class ImageFormatDecodingTests
{
    /// <summary>16-bit samples where the high byte and rounding to 8 bits differ (0x00FF: 0 vs 1, 0x01FF: 1 vs 2).</summary>
    private static readonly ushort[] WideSamples = [0x0000, 0x00FF, 0x0180, 0x01FF, 0x7F80, 0x80FF, 0xFE80, 0xFFFF];

    /// <summary>7×5 pixels, all different, so any transposition, flip or channel swap shows.</summary>
    private static RgbImage Distinct() => new(7, 5, (x, y) => ((byte)(35 * x + 3), (byte)(50 * y + 1), (byte)(250 - 20 * x - 25 * y)));

    [TestMethod]
    [DataRow(TiffCompression.None)]
    [DataRow(TiffCompression.Lzw)]
    [DataRow(TiffCompression.Deflate)]
    [DataRow(TiffCompression.PackBits)]
    public void EightBitRgbTiffDecodesExactly(TiffCompression compression)
    {
        var image = RgbImage.Noise(23, 17, seed: 5);
        var tiff = Encode(image, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = compression });
        AssertExact(image, tiff, compression.ToString());
    }

    [TestMethod]
    public void EightBitGrayTiffBecomesEqualRgbChannels()
    {
        var gray = new RgbImage(6, 4, (x, y) => ((byte)(40 * x + 7 * y), (byte)(40 * x + 7 * y), (byte)(40 * x + 7 * y)));
        var tiff = Encode(gray, new TiffEncoder
        {
            BitsPerPixel = TiffBitsPerPixel.Bit8,
            PhotometricInterpretation = TiffPhotometricInterpretation.BlackIsZero,
        });
        AssertExact(gray, tiff);
    }

    [TestMethod]
    public void SixteenBitRgbTiffKeepsTheHighByte()
    {
        var samples = WideSamples.SelectMany(v => new[] { v, (ushort)(v ^ 0x5A5A), (ushort)~v }).ToArray();
        var tiff = HandWrittenTiff.Write(new TiffPage(WideSamples.Length, 1, 3, 16, samples));
        AssertExact(WideSamples.Length, 1, (x, _) => (High(samples[3 * x]), High(samples[3 * x + 1]), High(samples[3 * x + 2])), tiff);
    }

    [TestMethod]
    public void SixteenBitGrayTiffKeepsTheHighByteInEveryChannel()
    {
        var tiff = HandWrittenTiff.Write(new TiffPage(4, 2, 1, 16, WideSamples) { Photometric = 1 });
        AssertExact(4, 2, (x, y) => (High(WideSamples[4 * y + x]), High(WideSamples[4 * y + x]), High(WideSamples[4 * y + x])), tiff);
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(16)]
    public void RgbaTiffDropsAlphaWithoutCompositing(int bits)
    {
        // Colours under alpha 0 and alpha 1/2 must come out as stored.
        ushort Scale(int v) => (ushort)(bits == 8 ? v : v << 8 | 0xC3); // low bytes that rounding would carry up
        var samples = new[] { (200, 100, 50, 0), (10, 20, 30, 128), (1, 2, 3, 255) }
            .SelectMany(p => new[] { Scale(p.Item1), Scale(p.Item2), Scale(p.Item3), Scale(p.Item4) }).ToArray();
        var tiff = HandWrittenTiff.Write(new TiffPage(3, 1, 4, bits, samples) { HasAlpha = true });
        var expected = new (byte, byte, byte)[] { (200, 100, 50), (10, 20, 30), (1, 2, 3) };
        AssertExact(3, 1, (x, _) => expected[x], tiff);
    }

    [TestMethod]
    public void MultiPageTiffDecodesTheFirstPage()
    {
        var first = new TiffPage(3, 2, 3, 8, [.. Enumerable.Range(0, 18).Select(i => (ushort)(10 * i))]);
        var second = new TiffPage(5, 4, 3, 8, [.. Enumerable.Repeat((ushort)255, 60)]); // another size: only page 1 is read
        var tiff = HandWrittenTiff.Write(first, second);
        AssertExact(3, 2, (x, y) => ((byte)(10 * (3 * (3 * y + x))), (byte)(10 * (3 * (3 * y + x) + 1)), (byte)(10 * (3 * (3 * y + x) + 2))), tiff);
    }

    [TestMethod]
    [DataRow((ushort)6, "rotated clockwise")]
    [DataRow((ushort)3, "rotated 180")]
    public void TiffOrientationTagIsApplied(ushort orientation, string meaning)
    {
        var stored = Distinct(); // 7 wide, 5 high
        var samples = Enumerable.Range(0, stored.Width * stored.Height)
            .SelectMany(i => { var (r, g, b) = stored[i % stored.Width, i / stored.Width]; return new ushort[] { r, g, b }; }).ToArray();
        var tiff = HandWrittenTiff.Write(new TiffPage(stored.Width, stored.Height, 3, 8, samples) { Orientation = orientation });
        if (orientation == 6) // upright is 5 wide, 7 high
            AssertExact(stored.Height, stored.Width, (x, y) => stored[y, stored.Height - 1 - x], tiff, meaning);
        else
            AssertExact(stored.Width, stored.Height, (x, y) => stored[stored.Width - 1 - x, stored.Height - 1 - y], tiff, meaning);
    }

    [TestMethod]
    public void SixteenBitPngAndTiffOfTheSameSamplesDecodeAlike()
    {
        // PNG goes to SkiaSharp (libpng keeps the high byte, as PIL does for 16-bit colour), TIFF to ImageSharp: the
        // same 16-bit samples must give the same 8-bit pixels, v >> 8.
        using var source = new Image<Rgba64>(WideSamples.Length, 1);
        for (var x = 0; x < WideSamples.Length; x++)
            source[x, 0] = new Rgba64(WideSamples[x], (ushort)(WideSamples[x] ^ 0x5A5A), (ushort)~WideSamples[x], ushort.MaxValue);
        var png = Encode(source, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        Assert.AreEqual(16, png[24], "the PNG is 16-bit");
        var samples = WideSamples.SelectMany(v => new[] { v, (ushort)(v ^ 0x5A5A), (ushort)~v }).ToArray();
        var tiff = HandWrittenTiff.Write(new TiffPage(WideSamples.Length, 1, 3, 16, samples));

        (byte, byte, byte) Expected(int x, int _) => (High(samples[3 * x]), High(samples[3 * x + 1]), High(samples[3 * x + 2]));
        AssertExact(WideSamples.Length, 1, Expected, png, "PNG (SkiaSharp)");
        AssertExact(WideSamples.Length, 1, Expected, tiff, "TIFF (ImageSharp)");
    }

    [TestMethod]
    public void SixteenBitGrayPngKeepsTheHighByte()
    {
        using var source = new Image<L16>(WideSamples.Length, 1);
        for (var x = 0; x < WideSamples.Length; x++)
            source[x, 0] = new L16(WideSamples[x]);
        var png = Encode(source, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Grayscale });
        AssertExact(WideSamples.Length, 1, (x, _) => (High(WideSamples[x]), High(WideSamples[x]), High(WideSamples[x])), png);
    }

    [TestMethod]
    [DataRow(TgaBitsPerPixel.Pixel24, TgaCompression.None)]
    [DataRow(TgaBitsPerPixel.Pixel24, TgaCompression.RunLength)]
    [DataRow(TgaBitsPerPixel.Pixel32, TgaCompression.None)]
    [DataRow(TgaBitsPerPixel.Pixel32, TgaCompression.RunLength)]
    public void TgaDecodesExactly(TgaBitsPerPixel bits, TgaCompression compression)
    {
        // Runs of equal pixels and noise, with alpha that must be dropped without compositing.
        var image = new RgbImage(19, 7, (x, y) => x < 9 ? ((byte)200, (byte)(20 * y), (byte)7) : ((byte)(x * 13 ^ y * 29), (byte)(x * y), (byte)(255 - x)),
            alphaAt: (x, y) => (byte)(x * 13 + y));
        AssertExact(image, Encode(image, new TgaEncoder { BitsPerPixel = bits, Compression = compression }), $"{bits} {compression}");
    }

    [TestMethod]
    public void GrayTgaBecomesEqualRgbChannels()
    {
        var gray = new RgbImage(5, 3, (x, y) => ((byte)(50 * x + y), (byte)(50 * x + y), (byte)(50 * x + y)));
        AssertExact(gray, Encode(gray, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel8, Compression = TgaCompression.None }));
    }

    [TestMethod]
    [DataRow(PbmEncoding.Plain)]
    [DataRow(PbmEncoding.Binary)]
    public void EightBitPpmAndPgmDecodeExactly(PbmEncoding encoding)
    {
        var image = RgbImage.Noise(11, 6, seed: 9);
        AssertExact(image, Encode(image, new PbmEncoder { Encoding = encoding, ColorType = PbmColorType.Rgb, ComponentType = PbmComponentType.Byte }), "PPM");
        var gray = new RgbImage(11, 6, (x, y) => image[x, y].R is var v ? (v, v, v) : default);
        AssertExact(gray, Encode(gray, new PbmEncoder { Encoding = encoding, ColorType = PbmColorType.Grayscale, ComponentType = PbmComponentType.Byte }), "PGM");
    }

    [TestMethod]
    public void SixteenBitPlainPpmAndPgmRoundToEightBits()
    {
        // Netpbm defines a sample as the fraction v / maxval of full intensity; PIL converts 16-bit PPM by rounding.
        using var source = new Image<Rgba64>(WideSamples.Length, 1);
        for (var x = 0; x < WideSamples.Length; x++)
            source[x, 0] = new Rgba64(WideSamples[x], (ushort)(WideSamples[x] ^ 0x5A5A), (ushort)~WideSamples[x], ushort.MaxValue);
        var ppm = Encode(source, new PbmEncoder { Encoding = PbmEncoding.Plain, ColorType = PbmColorType.Rgb, ComponentType = PbmComponentType.Short });
        AssertExact(WideSamples.Length, 1,
            (x, _) => (Round(WideSamples[x], 65535), Round((ushort)(WideSamples[x] ^ 0x5A5A), 65535), Round((ushort)~WideSamples[x], 65535)), ppm, "PPM");
        using var gray = new Image<L16>(WideSamples.Length, 1);
        for (var x = 0; x < WideSamples.Length; x++)
            gray[x, 0] = new L16(WideSamples[x]);
        var pgm = Encode(gray, new PbmEncoder { Encoding = PbmEncoding.Plain, ColorType = PbmColorType.Grayscale, ComponentType = PbmComponentType.Short });
        AssertExact(WideSamples.Length, 1, (x, _) => (Round(WideSamples[x], 65535), Round(WideSamples[x], 65535), Round(WideSamples[x], 65535)), pgm, "PGM");
    }

    [TestMethod]
    public void SixteenBitBinaryPpmIsBigEndianAndRoundsToEightBits()
    {
        // Hand-built: ImageSharp 2.1 writes (and reads) binary 16-bit Netpbm samples little-endian, against the
        // specification's "most significant byte first", which PIL and Netpbm follow.
        var samples = WideSamples.SelectMany(v => new[] { v, (ushort)(v ^ 0x5A5A), (ushort)~v }).ToArray();
        var ppm = Ascii($"P6\n{WideSamples.Length} 1\n65535\n").Concat(samples.SelectMany(v => new[] { (byte)(v >> 8), (byte)v })).ToArray();
        AssertExact(WideSamples.Length, 1, (x, _) => (Round(samples[3 * x], 65535), Round(samples[3 * x + 1], 65535), Round(samples[3 * x + 2], 65535)), ppm);
    }

    [TestMethod]
    public void PgmWithAnUncommonMaxvalScalesToFullRange()
    {
        // A 12-bit camera's PGM (maxval 4095, binary) and a plain PGM with maxval 100.
        ushort[] twelveBit = [0, 1, 8, 2047, 2048, 4094, 4095];
        var binary = Ascii("P5\n7 1\n4095\n").Concat(twelveBit.SelectMany(v => new[] { (byte)(v >> 8), (byte)v })).ToArray();
        AssertExact(7, 1, (x, _) => (Round(twelveBit[x], 4095), Round(twelveBit[x], 4095), Round(twelveBit[x], 4095)), binary, "maxval 4095");
        int[] percent = [0, 1, 50, 99, 100];
        var plain = Ascii("P2\n# percent\n5 1\n100\n" + string.Join(" ", percent) + "\n");
        AssertExact(5, 1, (x, _) => (Round(percent[x], 100), Round(percent[x], 100), Round(percent[x], 100)), plain, "maxval 100");
    }

    [TestMethod]
    public void BinaryPgmWhoseFirstSamplesLookLikeWhitespaceOrACommentDecodesExactly()
    {
        // Samples 10 ('\n'), 35 ('#'), 32 (' '), 9 ('\t'), 13 ('\r') right after the header are pixels, not syntax.
        byte[] samples = [10, 35, 32, 9, 13, 200];
        var pgm = Ascii("P5 6 1 255\n").Concat(samples).ToArray();
        AssertExact(6, 1, (x, _) => (samples[x], samples[x], samples[x]), pgm);
    }

    [TestMethod]
    public void PbmDecodesOneAsBlack()
    {
        // Plain digits need no separators and may have comments between them; binary rows are padded to a byte.
        var plain = Ascii("P1\n# comment\n3 2\n010\n1 1\n# another\n0\n");
        AssertExact(3, 2, (x, y) => ("010110"[3 * y + x] == '1' ? (byte)0 : (byte)255) is var v ? (v, v, v) : default, plain, "plain");
        var binary = Ascii("P4\n10 2\n").Concat(new byte[] { 0b1010_0000, 0b0100_0000, 0b0000_0000, 0b1100_0000 }).ToArray();
        var bits = new[] { "1010000001", "0000000011" };
        AssertExact(10, 2, (x, y) => (bits[y][x] == '1' ? (byte)0 : (byte)255) is var v ? (v, v, v) : default, binary, "binary");
    }

    [TestMethod]
    public void HandBuiltQoiUsingEveryChunkDecodesToTheSpecifiedPixels()
    {
        // Each chunk worked out by hand from the specification, including wraparound in DIFF and LUMA.
        byte[] chunks =
        [
            0xFE, 16, 32, 48, // RGB (16, 32, 48), alpha stays 255
            0x72, // DIFF dr = +1, dg = -2, db = 0 → (17, 30, 48)
            0xAA, 0x5C, // LUMA dg = +10, dr - dg = -3, db - dg = +4 → (24, 40, 62)
            0xFF, 1, 2, 3, 128, // RGBA (1, 2, 3, 128)
            0xC1, // RUN of 2
            0x15, // INDEX 21 = (16·3 + 32·5 + 48·7 + 255·11) % 64 → (16, 32, 48, 255)
            0xFE, 0, 255, 0, // RGB (0, 255, 0)
            0x5C, // DIFF dr = -1, dg = +1, db = -2 → (255, 0, 254), wrapping
            0x80, 0xF0, // LUMA dg = -32, dr - dg = +7, db - dg = -8 → (230, 224, 214), wrapping
        ];
        var qoi = QoiFile(10, 1, channels: 4, chunks);
        (byte, byte, byte)[] expected =
            [(16, 32, 48), (17, 30, 48), (24, 40, 62), (1, 2, 3), (1, 2, 3), (1, 2, 3), (16, 32, 48), (0, 255, 0), (255, 0, 254), (230, 224, 214)];
        AssertExact(10, 1, (x, _) => expected[x], qoi);
    }

    [TestMethod]
    [DataRow(3)]
    [DataRow(4)]
    public void QoiFromAnIndependentEncoderDecodesExactly(int channels)
    {
        // Smooth ramps (DIFF, LUMA), flat runs longer than 62 (RUN), repeats (INDEX), noise (RGB) and alpha changes (RGBA).
        var random = new Random(11);
        var image = new RgbImage(97, 13, (x, y) => y switch
        {
            < 2 => ((byte)(x + y), (byte)x, (byte)(x / 2)),
            < 4 => ((byte)(2 * x), (byte)(3 * x), (byte)(4 * x)),
            < 6 => ((byte)90, (byte)91, (byte)92),
            < 9 => ((byte)(x % 3 * 100), (byte)(x % 3 * 50), (byte)7),
            _ => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)),
        }, alphaAt: (x, y) => channels == 3 ? (byte)255 : (byte)(y == 12 ? x * 2 : 255));
        var qoi = TestQoiEncoder.Encode(image.Width, image.Height, image.Rgba, channels, out var chunkCounts);
        foreach (var (chunk, count) in chunkCounts)
            if (chunk != "rgba" || channels == 4)
                Assert.IsGreaterThan(0, count, $"the test image exercises {chunk} chunks");
        AssertExact(image, qoi);
    }

    /// <summary>A QOI file: header, the given chunks, end marker.</summary>
    internal static byte[] QoiFile(uint width, uint height, byte channels, byte[] chunks, byte colorSpace = 0)
    {
        var header = new byte[14];
        "qoif"u8.CopyTo(header);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), height);
        (header[12], header[13]) = (channels, colorSpace);
        return [.. header, .. chunks, 0, 0, 0, 0, 0, 0, 0, 1];
    }

    internal static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    internal static byte[] Encode(RgbImage image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var source = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(image.Rgba, image.Width, image.Height);
        return Encode(source, encoder);
    }

    private static byte[] Encode(SixLabors.ImageSharp.Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static byte High(ushort sample) => (byte)(sample >> 8);

    private static byte Round(int sample, int maxValue) => (byte)Math.Round(sample * 255.0 / maxValue, MidpointRounding.AwayFromZero);
}

using Microsoft.ML.NFNet.Tests.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using static Microsoft.ML.NFNet.Tests.Preprocessing.DecodedPixels;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// TIFF, the format beyond SkiaSharp's, and 16-bit samples, decoded through <see cref="ImageDecoder.DecodeRgb"/> from
/// files written by independent encoders (ImageSharp's, or written here from the specification) and compared exactly
/// with the source pixels: both formats are lossless.
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
}

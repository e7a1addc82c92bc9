using Microsoft.ML.NFNet.Tests.Training;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using static Microsoft.ML.NFNet.Tests.Preprocessing.ImageFormatDecodingTests;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>Each format is recognised from its first bytes, so it reaches the one decoder that reads it.</summary>
[TestClass]
public class ImageFormatSnifferTests
{
    private static readonly RgbImage Image = RgbImage.Noise(4, 3, seed: 1);

    [TestMethod]
    public void EachFormatIsRecognisedFromItsSignature()
    {
        var files = new (string Name, byte[] Bytes, EncodedImageFormat Expected)[]
        {
            ("JPEG", Image.EncodeJpeg(), EncodedImageFormat.Jpeg),
            ("PNG", Image.EncodePng(), EncodedImageFormat.Png),
            ("WEBP", Image.EncodeLosslessWebp(), EncodedImageFormat.Webp),
            ("BMP", HandWrittenImages.Bmp(Image), EncodedImageFormat.Bmp),
            ("GIF", HandWrittenImages.Gif(2, 2, [(1, 2, 3), (4, 5, 6), (7, 8, 9), (0, 0, 0)], (x, y) => x + y), EncodedImageFormat.Gif),
            ("ICO", [0, 0, 1, 0, 1, 0, .. new byte[16]], EncodedImageFormat.Ico),
            ("little-endian TIFF", Encode(Image, new TiffEncoder()), EncodedImageFormat.Tiff),
            ("big-endian TIFF", [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8], EncodedImageFormat.Tiff),
            ("TGA", Encode(Image, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24 }), EncodedImageFormat.Tga),
            ("PGM", Ascii("P5 1 1 255\n\x07"), EncodedImageFormat.Netpbm),
            ("PBM", Ascii("P1\n1 1\n1\n"), EncodedImageFormat.Netpbm),
            ("QOI", QoiFile(1, 1, channels: 3, [0xFE, 1, 2, 3]), EncodedImageFormat.Qoi),
        };
        foreach (var (name, bytes, expected) in files)
            Assert.AreEqual(expected, ImageFormatSniffer.Sniff(bytes), name);
    }

    [TestMethod]
    public void TheCommonestTgaHeaderIsNotMistakenForACursor()
    {
        // An uncompressed true-colour TGA without ID or colour map starts 00 00 02 00, like a cursor; a cursor
        // directory counts at least one image in bytes 4-5, where the TGA has zeros.
        var tga = Encode(Image, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel32, Compression = TgaCompression.None });
        CollectionAssert.AreEqual(new byte[] { 0, 0, 2, 0, 0, 0 }, tga[..6]);
        Assert.AreEqual(EncodedImageFormat.Tga, ImageFormatSniffer.Sniff(tga));
        Assert.AreEqual(EncodedImageFormat.Ico, ImageFormatSniffer.Sniff([0, 0, 2, 0, 1, 0, .. new byte[16]]), "a cursor");
    }

    [TestMethod]
    public void UnrecognisedBytesGoToSkiaSharp()
    {
        var garbage = new byte[1000];
        new Random(7).NextBytes(garbage);
        Assert.AreEqual(EncodedImageFormat.Unknown, ImageFormatSniffer.Sniff(garbage));
        Assert.AreEqual(EncodedImageFormat.Unknown, ImageFormatSniffer.Sniff(Ascii("P9\n")), "not a Netpbm number");
        Assert.IsTrue(EncodedImageFormat.Unknown.IsDecodedBySkia());
        Assert.IsFalse(EncodedImageFormat.Tiff.IsDecodedBySkia());
    }
}

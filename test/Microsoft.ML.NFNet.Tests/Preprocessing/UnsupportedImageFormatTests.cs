using System.Text;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using static Microsoft.ML.NFNet.Tests.Preprocessing.DecodedPixels;
using static Microsoft.ML.NFNet.Tests.Preprocessing.ImageFormatDecodingTests;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Formats that neither SkiaSharp nor ImageSharp 2.1 reads (QOI), or that ImageSharp 2.1 reads with known defects (TGA,
/// Netpbm, BigTIFF), are refused by name with what to do, never decoded into wrong or zero-filled pixels. The files are
/// valid: written by ImageSharp's encoders or from the specifications.
/// </summary>
[TestClass]
public class UnsupportedImageFormatTests
{
    private static readonly RgbImage Image = RgbImage.Noise(9, 5, seed: 2);

    [TestMethod]
    [DataRow(TgaBitsPerPixel.Pixel24, TgaCompression.RunLength)]
    [DataRow(TgaBitsPerPixel.Pixel32, TgaCompression.None)] // starts 00 00 02 00, like a cursor with no images
    [DataRow(TgaBitsPerPixel.Pixel8, TgaCompression.None)]
    public void TgaIsRefusedByName(TgaBitsPerPixel bits, TgaCompression compression) =>
        AssertRefused(Encode(Image, new TgaEncoder { BitsPerPixel = bits, Compression = compression }), "TGA", "fills truncated data with zeros");

    [TestMethod]
    [DataRow(PbmColorType.Rgb, PbmEncoding.Binary)]
    [DataRow(PbmColorType.Grayscale, PbmEncoding.Plain)]
    [DataRow(PbmColorType.BlackAndWhite, PbmEncoding.Binary)]
    public void NetpbmIsRefusedByName(PbmColorType color, PbmEncoding encoding) =>
        AssertRefused(Encode(Image, new PbmEncoder { ColorType = color, Encoding = encoding }), "PBM/PGM/PPM (Netpbm)", "misreads valid files");

    [TestMethod]
    public void QoiIsRefusedByName()
    {
        // 1×1 RGB: header, one QOI_OP_RGB chunk, end marker (qoiformat.org).
        byte[] qoi = [.. "qoif"u8, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0, 0xFE, 10, 20, 30, 0, 0, 0, 0, 0, 0, 0, 1];
        AssertRefused(qoi, "QOI", "neither SkiaSharp nor ImageSharp 2.1 reads it");
    }

    [TestMethod]
    [DataRow("II+\0\b\0\0\0\u0010\0\0\0\0\0\0\0", DisplayName = "little-endian")]
    [DataRow("MM\0+\0\b\0\0\0\0\0\0\0\0\0\u0010", DisplayName = "big-endian")]
    public void BigTiffIsRefusedByName(string header) =>
        AssertRefused([.. Encoding.Latin1.GetBytes(header), .. new byte[64]], "BigTIFF", "strip offsets cannot be checked");

    [TestMethod]
    public void TgaClaimingTooManyPixelsIsRefusedAsTgaWithoutDecoding()
    {
        var tga = Encode(Image, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.None });
        (tga[12], tga[13], tga[14], tga[15]) = (0x30, 0x75, 0x30, 0x75); // 30,000 × 30,000
        AssertRefused(tga, "TGA", "fills truncated data with zeros");
    }

    [TestMethod]
    public void AnUnknownFormatSaysWhichFormatsAreReadAndToConvertToPng()
    {
        var pam = Encoding.ASCII.GetBytes("P7\nWIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n\x01\x02\x03");
        AssertInvalid(pam, NoLimit, "not an image in a supported format (JPEG, PNG, BMP, GIF, WEBP, ICO, WBMP, TIFF)", "convert it to PNG");
    }

    private static void AssertRefused(byte[] file, string format, string reason) =>
        AssertInvalid(file, ImagePreprocessingOptions.DefaultMaxImagePixels,
            $"The image is a {format} file, a format that is not supported", reason, "Convert it to PNG.");
}

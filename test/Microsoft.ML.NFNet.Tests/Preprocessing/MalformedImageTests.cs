using System.Diagnostics;
using Microsoft.ML.NFNet.Tests.Training;
using SixLabors.ImageSharp.Formats.Tga;
using static Microsoft.ML.NFNet.Tests.Preprocessing.DecodedPixels;
using static Microsoft.ML.NFNet.Tests.Preprocessing.ImageFormatDecodingTests;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Bad files for each decoder beyond SkiaSharp (ImageSharp's TIFF and TGA, our Netpbm and QOI): truncated, corrupt
/// headers, headers claiming a size over the limit, zero dimensions and unsupported variants. Each must be an
/// <see cref="InvalidImageException"/> that says what is wrong, never a silently black or partial image.
/// (SkiaSharp's cases are in Training/ImageDecoderTests.)
/// </summary>
[TestClass]
public class MalformedImageTests
{
    private static readonly long DefaultLimit = ImagePreprocessingOptions.DefaultMaxImagePixels;

    private static byte[] RgbTiff() => HandWrittenTiff.Write(new TiffPage(8, 6, 3, 8, [.. Enumerable.Range(0, 144).Select(i => (ushort)i)]));

    [TestMethod]
    public void TruncatedTiffStripIsRejected()
    {
        var tiff = RgbTiff();
        AssertInvalid(tiff[..^40], NoLimit, "TIFF image data is truncated", "strip 1 of 1");
    }

    [TestMethod]
    public void TiffWithACorruptDirectoryIsRejected()
    {
        var tiff = RgbTiff();
        tiff[4] = 0xF0; // the first IFD's offset now points past the end of the file
        AssertInvalid(tiff, NoLimit, "TIFF image is corrupt", "header");
    }

    [TestMethod]
    public void TiffClaimingTooManyPixelsIsRejectedBeforeDecoding()
    {
        var bomb = HandWrittenTiff.ClaimingSize(100_000, 100_000);
        var stopwatch = Stopwatch.StartNew();
        AssertInvalid(bomb, DefaultLimit, "100,000×100,000", "more than the limit", nameof(ImagePreprocessingOptions.MaxImagePixels));
        Assert.IsLessThan(2_000, stopwatch.ElapsedMilliseconds, "only the header was read");
    }

    [TestMethod]
    public void TiffWithZeroWidthIsRejected() =>
        AssertInvalid(HandWrittenTiff.ClaimingSize(0, 5), NoLimit, "0×5", "at least 1");

    [TestMethod]
    public void TiffOverImageSharpsAllocationLimitIsRejected()
    {
        // ImageSharp's default limit (4 GiB per image) lies above our one-buffer limit, so it is shown with a 1 MB limit:
        // a 1,000² TIFF needs 8 MB as 16-bit RGBA, and the allocator refuses before allocating.
        var configuration = ImageSharpDecoder.CreateConfiguration(new SixLabors.ImageSharp.Memory.MemoryAllocatorOptions { AllocationLimitMegabytes = 1 });
        var tiff = HandWrittenTiff.ClaimingSize(1_000, 1_000);
        var e = Assert.ThrowsExactly<InvalidImageException>(() =>
            ImageSharpDecoder.Decode(tiff, EncodedImageFormat.Tiff, ImageSizeLimit.Pixels(NoLimit), configuration).Dispose());
        StringAssert.Contains(e.Message, "TIFF image is too large for the decoder's memory limit");
        StringAssert.Contains(e.Message, "exceeded the limit 1048576");
    }

    [TestMethod]
    public void CmykTiffIsAnUnsupportedVariant()
    {
        var cmyk = HandWrittenTiff.Write(new TiffPage(2, 2, 4, 8, [.. Enumerable.Repeat((ushort)100, 16)]) { Photometric = 5 });
        AssertInvalid(cmyk, NoLimit, "TIFF image is a variant the decoder (ImageSharp 2.1) does not support", "Separated");
    }

    [TestMethod]
    public void CcittRunLongerThanTheRowIsRejected()
    {
        // The pattern of CVE-2026-106117 (fixed in ImageSharp 4.1.1 for 3.x/4.x): a Modified Huffman strip whose
        // decoded run (white 64 = makeup 11011 + terminating 00110101) is longer than the 8-pixel row. ImageSharp
        // 2.1.13 writes runs through bounds-checked spans, so this is a managed exception, reported as corrupt.
        var ccitt = HandWrittenTiff.Write(new TiffPage(8, 1, 1, 1, []) { Photometric = 0, Compression = 2, StripData = [0b1101_1001, 0b1010_1000] });
        AssertInvalid(ccitt, NoLimit, "TIFF image is corrupt", "could not read its pixels", "outside the bounds of the array");
    }

    private static byte[] Tga(TgaCompression compression) =>
        Encode(RgbImage.Noise(9, 5, seed: 2), new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = compression });

    [TestMethod]
    [DataRow(TgaCompression.None, "uncompressed")]
    [DataRow(TgaCompression.RunLength, "run-length encoded")]
    public void TruncatedTgaIsRejected(TgaCompression compression, string kind) =>
        AssertInvalid(Tga(compression)[..^7], NoLimit, "TGA image data is truncated", "9×5", kind);

    [TestMethod]
    public void TgaWithZeroHeightIsRejected()
    {
        var tga = Tga(TgaCompression.None);
        (tga[14], tga[15]) = (0, 0);
        AssertInvalid(tga, NoLimit, "9×0", "at least 1");
    }

    [TestMethod]
    public void TgaClaimingTooManyPixelsIsRejectedBeforeDecoding()
    {
        var tga = Tga(TgaCompression.RunLength);
        (tga[12], tga[13], tga[14], tga[15]) = (0x30, 0x75, 0x30, 0x75); // 30,000 × 30,000
        AssertInvalid(tga, DefaultLimit, "30,000×30,000", "more than the limit", nameof(ImagePreprocessingOptions.MaxImagePixels));
    }

    [TestMethod]
    public void TgaWiderThanTheDecoderReadsIsRejected()
    {
        var tga = Tga(TgaCompression.None);
        // 40,000 × 400 (within the default aspect-ratio limit of 100): ImageSharp would read the width as -25,536.
        (tga[12], tga[13], tga[14], tga[15]) = (0x40, 0x9C, 0x90, 0x01);
        AssertInvalid(tga, NoLimit, "40,000×400", "at most 32,767 pixels a side");
    }

    [TestMethod]
    [DataRow("P6\n4 2\n255\n", 23, "PPM data is truncated", "24 bytes of samples, but only 23")]
    [DataRow("P5\n4 2\n65535\n", 15, "PGM data is truncated", "16 bytes of samples, but only 15")]
    [DataRow("P4\n9 2\n", 3, "PBM data is truncated", "4 bytes of samples, but only 3")]
    public void TruncatedBinaryNetpbmIsRejected(string header, int dataBytes, string problem, string detail) =>
        AssertInvalid([.. Ascii(header), .. new byte[dataBytes]], NoLimit, problem, detail);

    [TestMethod]
    public void TruncatedPlainNetpbmIsRejected() =>
        AssertInvalid(Ascii("P3\n2 2\n255\n1 2 3 4 5 6 7 8 9 10\n"), NoLimit, "PPM data is truncated", "after 10 of 12 samples");

    [TestMethod]
    [DataRow("P2\n2 1\n100\n50 101\n", "over the maxval of 100")]
    [DataRow("P2\n2 1\n255\n50 x\n", "is not a decimal number")]
    [DataRow("P1\n2 1\n0 2\n", "'2' at byte 9 is not a pixel (0 or 1)")]
    public void CorruptPlainNetpbmSamplesAreRejected(string file, string problem) =>
        AssertInvalid(Ascii(file), NoLimit, "data is corrupt", problem);

    [TestMethod]
    public void BinaryNetpbmSampleOverTheMaxvalIsRejected() =>
        AssertInvalid([.. Ascii("P5\n3 1\n1000\n"), 0, 1, 0x03, 0xE9, 0, 0], NoLimit, "PGM data is corrupt", "sample 1 is 1,001, over the maxval of 1,000");

    [TestMethod]
    [DataRow("P5\n2 2\n0\n", "the maxval is 0")]
    [DataRow("P6\n2 2\n70000\n", "the maxval is 70,000")]
    [DataRow("P5\nab 2\n255\n", "the width at byte 3 is not a decimal number")]
    [DataRow("P5\n-3 2\n255\n", "the width at byte 3 is not a decimal number")]
    [DataRow("P6\n2 2\n255#\n", "must be followed by one whitespace character")]
    public void CorruptNetpbmHeaderIsRejected(string header, string problem) =>
        AssertInvalid([.. Ascii(header), .. new byte[24]], NoLimit, "header is corrupt", problem);

    [TestMethod]
    public void NetpbmHeaderEndingEarlyIsRejected() =>
        AssertInvalid(Ascii("P6\n2 2\n"), NoLimit, "PPM header is truncated", "before the maxval");

    [TestMethod]
    public void NetpbmWithZeroWidthIsRejected() =>
        AssertInvalid(Ascii("P5\n0 7\n255\n"), NoLimit, "0×7", "at least 1");

    [TestMethod]
    public void NetpbmClaimingTooManyPixelsIsRejectedBeforeDecoding() =>
        AssertInvalid([.. Ascii("P6\n100000 100000\n255\n"), 1, 2, 3], DefaultLimit, "100,000×100,000", "more than the limit");

    [TestMethod]
    public void PamIsAnUnsupportedVariant() =>
        AssertInvalid(Ascii("P7\nWIDTH 2\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n\x01\x02\x03\x04\x05\x06"), NoLimit,
            "PAM file (Netpbm P7), a variant that is not supported");

    private static byte[] Qoi() => QoiFile(3, 1, channels: 3, [0xFE, 1, 2, 3, 0x55, 0xC0]); // RGB, DIFF, RUN 1

    [TestMethod]
    public void QoiTruncatedInThePixelsIsRejected() =>
        AssertInvalid(Qoi()[..16], NoLimit, "QOI data is truncated", "after 0 of 3 pixels");

    [TestMethod]
    public void QoiWithoutEndMarkerIsRejected() =>
        AssertInvalid(Qoi()[..^3], NoLimit, "QOI data is truncated", "end marker is missing");

    [TestMethod]
    public void QoiWithACorruptEndMarkerIsRejected()
    {
        var qoi = Qoi();
        qoi[^1] = 2;
        AssertInvalid(qoi, NoLimit, "QOI data is corrupt", "does not end with the end marker");
    }

    [TestMethod]
    public void QoiRunPastTheLastPixelIsRejected() =>
        AssertInvalid(QoiFile(2, 1, channels: 4, [0xFE, 9, 9, 9, 0xC1]), NoLimit, "QOI data is corrupt", "a run of 2 pixels at pixel 1");

    [TestMethod]
    [DataRow((byte)5, (byte)0, "channels = 5")]
    [DataRow((byte)3, (byte)2, "colour space = 2")]
    public void QoiWithACorruptHeaderIsRejected(byte channels, byte colorSpace, string problem) =>
        AssertInvalid(QoiFile(3, 1, channels, [0xFE, 1, 2, 3, 0xC1], colorSpace), NoLimit, "QOI header is corrupt", problem);

    [TestMethod]
    public void QoiWithATruncatedHeaderIsRejected() =>
        AssertInvalid(Qoi()[..10], NoLimit, "QOI data is truncated", "14-byte header is incomplete");

    [TestMethod]
    public void QoiWithZeroWidthIsRejected() =>
        AssertInvalid(QoiFile(0, 4, channels: 3, []), NoLimit, "0×4", "at least 1");

    [TestMethod]
    public void QoiClaimingTooManyPixelsIsRejectedBeforeDecoding() =>
        AssertInvalid(QoiFile(uint.MaxValue, uint.MaxValue, channels: 4, [0xFE, 1, 2, 3]), DefaultLimit,
            "4,294,967,295×4,294,967,295", "more than the limit", nameof(ImagePreprocessingOptions.MaxImagePixels));
}

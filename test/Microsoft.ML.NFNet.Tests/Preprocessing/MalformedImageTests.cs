using System.Diagnostics;
using Microsoft.ML.NFNet.Tests.Training;
using static Microsoft.ML.NFNet.Tests.Preprocessing.DecodedPixels;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Bad TIFF files, the format ImageSharp decodes: truncated, corrupt headers, headers claiming a size over the limit,
/// zero dimensions and unsupported variants. Each must be an <see cref="InvalidImageException"/> that says what is
/// wrong, never a silently black or partial image. (SkiaSharp's cases are in ImageDecoderTests.)
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
            ImageSharpDecoder.Decode(tiff, ImageSizeLimit.Pixels(NoLimit), configuration, out _).Dispose());
        StringAssert.Contains(e.Message, "TIFF image is too large for the decoder's memory limit");
        StringAssert.Contains(e.Message, "exceeded the limit 1048576");
    }

    [TestMethod]
    public void CmykTiffIsAnUnsupportedVariant()
    {
        var cmyk = HandWrittenTiff.Write(new TiffPage(2, 2, 4, 8, [.. Enumerable.Repeat((ushort)100, 16)]) { Photometric = 5 });
        AssertInvalid(cmyk, NoLimit, "TIFF image is a variant the decoder (ImageSharp 2.1) does not support", "Separated", "Convert it to PNG.");
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
}

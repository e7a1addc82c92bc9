using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class ImageDecoderTests
{
    private const long NoLimit = long.MaxValue;

    private static readonly (byte R, byte G, byte B)[] Palette = [(255, 0, 0), (0, 200, 0), (10, 20, 250), (17, 34, 51)];

    /// <summary>5×3 pixels, all different, so any transposition or channel swap shows.</summary>
    private static RgbImage Distinct() => new(5, 3, (x, y) => ((byte)(40 * x + 7), (byte)(80 * y + 3), (byte)(250 - 20 * x - 30 * y)));

    [TestMethod]
    public void PngRgbDecodesExactly() => AssertExact(Distinct(), Distinct().EncodePng());

    [TestMethod]
    public void BmpDecodesExactly() => AssertExact(Distinct(), HandWrittenImages.Bmp(Distinct()));

    [TestMethod]
    public void LosslessWebpDecodesExactly() => AssertExact(Distinct(), Distinct().EncodeLosslessWebp());

    [TestMethod]
    public void IcoDecodesExactly() => AssertExact(Distinct(), HandWrittenImages.Ico(5, 3, Distinct().EncodePng()));

    [TestMethod]
    public void WbmpDecodesToBlackAndWhite()
    {
        Func<int, int, bool> isWhite = (x, y) => (x * 3 + y) % 4 < 2;
        var expected = new RgbImage(11, 3, (x, y) => isWhite(x, y) ? ((byte)255, (byte)255, (byte)255) : ((byte)0, (byte)0, (byte)0));
        AssertExact(expected, HandWrittenImages.Wbmp(11, 3, isWhite));
    }

    [TestMethod]
    public void PngWithAlphaKeepsTheStoredColoursAndDropsAlpha()
    {
        // Like PIL's convert('RGB'): no premultiplication, even under fully transparent pixels.
        var image = new RgbImage(3, 1, (x, _) => x switch { 0 => (200, 100, 50), 1 => (10, 20, 30), _ => (1, 2, 3) },
            alphaAt: (x, _) => x switch { 0 => 128, 1 => 0, _ => 255 });
        AssertExact(image, image.EncodePng());
    }

    [TestMethod]
    public void GrayscalePngBecomesEqualRgbChannels()
    {
        var image = new RgbImage(4, 2, (x, y) => ((byte)(30 * x + 100 * y), 0, 0));
        var gray = new RgbImage(4, 2, (x, y) => ((byte)(30 * x + 100 * y), (byte)(30 * x + 100 * y), (byte)(30 * x + 100 * y)));
        AssertExact(gray, image.EncodeGray(SKEncodedImageFormat.Png));
    }

    [TestMethod]
    public void PalettePngDecodesToThePaletteColours()
    {
        var bytes = HandWrittenImages.PalettePng(4, 3, Palette, (x, y) => (x + y) % 4);
        AssertExact(new RgbImage(4, 3, (x, y) => Palette[(x + y) % 4]), bytes);
    }

    [TestMethod]
    public void GifDecodesToThePaletteColours()
    {
        var bytes = HandWrittenImages.Gif(5, 3, Palette, (x, y) => (x * 3 + y) % 4);
        AssertExact(new RgbImage(5, 3, (x, y) => Palette[(x * 3 + y) % 4]), bytes);
    }

    [TestMethod]
    public void JpegDecodesWithinCompressionTolerance()
    {
        // 16-pixel flat tiles: JPEG's 8×8 blocks reproduce them almost exactly.
        var colors = new (byte, byte, byte)[] { (220, 30, 40), (20, 180, 60), (30, 60, 200), (128, 128, 128) };
        var image = new RgbImage(32, 32, (x, y) => colors[x / 16 + 2 * (y / 16)]);
        AssertClose(image, image.EncodeJpeg(), tolerance: 3);
    }

    [TestMethod]
    public void GrayscaleJpegBecomesEqualRgbChannels()
    {
        var image = new RgbImage(16, 16, (x, _) => (x < 8 ? (byte)60 : (byte)190, 0, 0));
        var gray = new RgbImage(16, 16, (x, _) => x < 8 ? ((byte)60, (byte)60, (byte)60) : ((byte)190, (byte)190, (byte)190));
        AssertClose(gray, image.EncodeGray(SKEncodedImageFormat.Jpeg), tolerance: 2);
    }

    [TestMethod]
    public void CmykJpegIsConvertedToRgb()
    {
        // Adobe (inverted) CMYK: R = C·K/255, G = M·K/255, B = Y·K/255 on the stored values (Skia and PIL agree).
        var bytes = HandWrittenImages.CmykJpeg(c: 200, m: 64, y: 254, k: 230);
        var expected = ((byte)Math.Round(200 * 230 / 255.0), (byte)Math.Round(64 * 230 / 255.0), (byte)Math.Round(254 * 230 / 255.0));
        AssertClose(new RgbImage(8, 8, (_, _) => expected), bytes, tolerance: 1);
    }

    [TestMethod]
    [DataRow((ushort)6, "rotated clockwise")]
    [DataRow((ushort)8, "rotated counter-clockwise")]
    [DataRow((ushort)3, "rotated 180")]
    [DataRow((ushort)2, "mirrored")]
    public void ExifOrientationIsApplied(ushort orientation, string meaning)
    {
        // Stored 32 wide × 16 high: left half red, right half blue, with a green top-left tile to pin down the corners.
        var stored = new RgbImage(32, 16, (x, y) => x < 8 && y < 8 ? ((byte)0, (byte)255, (byte)0) : x < 16 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255));
        var bytes = HandWrittenImages.WithExifOrientation(stored.EncodeJpeg(), orientation);
        Func<int, int, (int X, int Y)> storedPositionOf = orientation switch
        {
            6 => (x, y) => (y, 15 - x), // upright image is 16 wide × 32 high
            8 => (x, y) => (31 - y, x),
            3 => (x, y) => (31 - x, 15 - y),
            _ => (x, y) => (31 - x, y),
        };
        var rotated = orientation is 6 or 8;
        var expected = new RgbImage(rotated ? 16 : 32, rotated ? 32 : 16, (x, y) =>
        {
            var (sx, sy) = storedPositionOf(x, y);
            return stored[sx, sy];
        });
        AssertClose(expected, bytes, tolerance: 40, meaning);
    }

    [TestMethod]
    public void EmptyBytesAreRejected() => AssertInvalid([], "empty");

    [TestMethod]
    public void RandomBytesAreRejected()
    {
        var garbage = new byte[1000];
        new Random(7).NextBytes(garbage);
        AssertInvalid(garbage, "not an image in a supported format");
    }

    [TestMethod]
    public void TruncatedPngIsRejected()
    {
        var png = RgbImage.Noise(64, 64, seed: 3).EncodePng();
        AssertInvalid(png[..(png.Length * 6 / 10)], "truncated");
    }

    [TestMethod]
    public void HeaderClaimingTooManyPixelsIsRejectedBeforeDecoding()
    {
        var bomb = HandWrittenImages.PngClaimingSize(20_000, 20_000);
        var message = AssertInvalid(bomb, "more than the limit", ImagePreprocessingOptions.DefaultMaxImagePixels);
        StringAssert.Contains(message, "20,000×20,000");
        StringAssert.Contains(message, nameof(ImagePreprocessingOptions.MaxImagePixels));
    }

    [TestMethod]
    public void PixelLimitIsConfigurable()
    {
        var png = Distinct().EncodePng();
        AssertInvalid(png, "more than the limit of 14", maxPixels: 14);
        using var accepted = ImageDecoder.DecodeRgb(png, maxPixels: 15);
    }

    private static string AssertInvalid(byte[] bytes, string expectedMessagePart, long maxPixels = NoLimit)
    {
        var exception = Assert.ThrowsExactly<InvalidImageException>(() => ImageDecoder.DecodeRgb(bytes, maxPixels).Dispose());
        StringAssert.Contains(exception.Message, expectedMessagePart);
        return exception.Message;
    }

    private static void AssertExact(RgbImage expected, byte[] encoded) => AssertClose(expected, encoded, tolerance: 0);

    private static void AssertClose(RgbImage expected, byte[] encoded, int tolerance, string what = "")
    {
        using var scope = NewDisposeScope();
        var rgb = ImageDecoder.DecodeRgb(encoded, NoLimit);
        Assert.AreEqual(ScalarType.Byte, rgb.dtype);
        CollectionAssert.AreEqual(new long[] { 3, expected.Height, expected.Width }, rgb.shape, what);
        var pixels = rgb.contiguous().data<byte>().ToArray();
        var planeSize = expected.Width * expected.Height;
        for (var y = 0; y < expected.Height; y++)
        for (var x = 0; x < expected.Width; x++)
        {
            var (r, g, b) = expected[x, y];
            var offset = y * expected.Width + x;
            var actual = (pixels[offset], pixels[planeSize + offset], pixels[2 * planeSize + offset]);
            var close = Math.Abs(actual.Item1 - r) <= tolerance && Math.Abs(actual.Item2 - g) <= tolerance &&
                        Math.Abs(actual.Item3 - b) <= tolerance;
            Assert.IsTrue(close, $"{what} pixel ({x}, {y}): expected {(r, g, b)}, got {actual}");
        }
    }
}

using Microsoft.ML.NFNet.Tests.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>Decodes through the library's one entry point and compares with known source pixels.</summary>
internal static class DecodedPixels
{
    public const long NoLimit = long.MaxValue;

    /// <summary>The decoded <c>[3, H, W]</c> image as (R, G, B) per pixel, row by row.</summary>
    public static (int Width, int Height, (byte R, byte G, byte B)[] Pixels) Decode(byte[] encoded, long maxPixels = NoLimit)
    {
        using var scope = NewDisposeScope();
        var rgb = ImageDecoder.DecodeRgb(encoded, maxPixels);
        Assert.AreEqual(ScalarType.Byte, rgb.dtype);
        Assert.AreEqual(3L, rgb.shape[0]);
        int height = (int)rgb.shape[1], width = (int)rgb.shape[2];
        var planes = rgb.contiguous().data<byte>().ToArray();
        var plane = width * height;
        var pixels = new (byte, byte, byte)[plane];
        for (var i = 0; i < plane; i++)
            pixels[i] = (planes[i], planes[plane + i], planes[2 * plane + i]);
        return (width, height, pixels);
    }

    public static void AssertExact(RgbImage expected, byte[] encoded, string what = "") =>
        AssertExact(expected.Width, expected.Height, (x, y) => expected[x, y], encoded, what);

    public static void AssertExact(int width, int height, Func<int, int, (byte R, byte G, byte B)> expectedAt, byte[] encoded, string what = "")
    {
        var (actualWidth, actualHeight, pixels) = Decode(encoded);
        Assert.AreEqual((width, height), (actualWidth, actualHeight), $"{what} size");
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            Assert.AreEqual(expectedAt(x, y), pixels[y * width + x], $"{what} pixel ({x}, {y})");
    }

    /// <summary>Asserts decoding fails with an <see cref="InvalidImageException"/> whose message contains every part.</summary>
    public static string AssertInvalid(byte[] encoded, long maxPixels, params string[] messageParts)
    {
        var e = Assert.ThrowsExactly<InvalidImageException>(() => ImageDecoder.DecodeRgb(encoded, maxPixels).Dispose());
        foreach (var part in messageParts)
            StringAssert.Contains(e.Message, part);
        return e.Message;
    }
}

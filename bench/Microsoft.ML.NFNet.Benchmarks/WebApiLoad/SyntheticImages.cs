using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>Noisy solid-colour images: enough to train a model whose speed, not accuracy, is measured.</summary>
internal static class SyntheticImages
{
    public static readonly string[] Classes = ["red", "green", "blue"];
    private static readonly SKColor[] Colours = [new(220, 40, 40), new(40, 200, 60), new(40, 60, 220)];

    /// <summary>An encoded image of class <paramref name="classIndex"/>, with per-pixel noise from <paramref name="seed"/>.</summary>
    public static byte[] Encode(int classIndex, int width, int height, int seed, SKEncodedImageFormat format)
    {
        var random = new Random(seed);
        var colour = Colours[classIndex];
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            bitmap.SetPixel(x, y, new SKColor(Jitter(colour.Red), Jitter(colour.Green), Jitter(colour.Blue)));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();

        byte Jitter(byte value) => (byte)Math.Clamp(value + random.Next(-30, 31), 0, 255);
    }
}

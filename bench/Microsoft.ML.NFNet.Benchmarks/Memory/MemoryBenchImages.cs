using System.Runtime.InteropServices;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Memory;

/// <summary>The memory benchmark's data: class-coloured 256 px JPEGs of about 50 KB, image i the same in every set.</summary>
internal static class MemoryBenchImages
{
    private const int Classes = 10, Side = 256;

    /// <summary>Writes <paramref name="count"/> JPEGs to ROOT/class0..class9 (files already there are kept).</summary>
    public static void Generate(string root, int count)
    {
        Parallel.For(0, count, i =>
        {
            var label = i % Classes;
            var path = Path.Combine(root, $"class{label}", $"{i:D6}.jpg");
            if (File.Exists(path))
                return;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var random = new Random(i);
            using var bitmap = new SKBitmap(Side, Side, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var pixels = new byte[Side * Side * 4];
            // A class-coloured gradient with pixel noise: what makes a 256 px JPEG about 50 KB at quality 95.
            var (r, g, b) = (label * 25, 255 - label * 25, label * 97 % 256);
            for (var y = 0; y < Side; y++)
            for (var x = 0; x < Side; x++)
            {
                var o = (y * Side + x) * 4;
                pixels[o] = (byte)Math.Clamp(r + x / 4 + random.Next(-48, 49), 0, 255);
                pixels[o + 1] = (byte)Math.Clamp(g - y / 4 + random.Next(-48, 49), 0, 255);
                pixels[o + 2] = (byte)Math.Clamp(b + (x + y) / 8 + random.Next(-48, 49), 0, 255);
                pixels[o + 3] = 255;
            }
            Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
            File.WriteAllBytes(path, data.ToArray());
        });
        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories);
        Console.WriteLine($"{files.Length:N0} images in {root}, {files.Sum(f => new FileInfo(f).Length) / (double)files.Length / 1000:0.#} KB on average");
    }
}

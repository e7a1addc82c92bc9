namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>A decoded image with its class: 8-bit pixels, row-major, <see cref="Channels"/> (1 = gray, 3 = RGB)
/// interleaved.</summary>
internal sealed record PixelImage(int Width, int Height, int Channels, byte[] Pixels, int Label)
{
    /// <summary>The image shrunk to <paramref name="size"/>×<paramref name="size"/> by averaging the source pixels each
    /// output pixel covers (area resampling, as a scanner or a thumbnailer would).</summary>
    public PixelImage Downscale(int size)
    {
        var output = new byte[size * size * Channels];
        for (var y = 0; y < size; y++)
        for (var x = 0; x < size; x++)
        for (var c = 0; c < Channels; c++)
        {
            double sum = 0, weight = 0;
            double x0 = (double)x * Width / size, x1 = (double)(x + 1) * Width / size;
            double y0 = (double)y * Height / size, y1 = (double)(y + 1) * Height / size;
            for (var sy = (int)y0; sy < Math.Ceiling(y1); sy++)
            for (var sx = (int)x0; sx < Math.Ceiling(x1); sx++)
            {
                var w = (Math.Min(sx + 1, x1) - Math.Max(sx, x0)) * (Math.Min(sy + 1, y1) - Math.Max(sy, y0));
                sum += w * Pixels[(sy * Width + sx) * Channels + c];
                weight += w;
            }
            output[(y * size + x) * Channels + c] = (byte)Math.Round(sum / weight);
        }
        return this with { Width = size, Height = size, Pixels = output };
    }

    /// <summary>A colour drawing made from a gray one: <paramref name="scale"/> times larger (bilinear), the ink in one
    /// colour and the background in another, both drawn from <paramref name="random"/> and unrelated to the class,
    /// so the colours are a nuisance the model must learn to ignore.</summary>
    public PixelImage Colourize(int scale, Random random)
    {
        var paper = RandomColour(random);
        double[] ink;
        do
            ink = RandomColour(random);
        while (Math.Abs(Luminance(ink) - Luminance(paper)) < MinimumContrast);
        var width = Width * scale;
        var height = Height * scale;
        var output = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var value = Bilinear((x + 0.5) / scale - 0.5, (y + 0.5) / scale - 0.5) / 255.0;
            for (var c = 0; c < 3; c++)
                output[(y * width + x) * 3 + c] = (byte)Math.Round(paper[c] + (ink[c] - paper[c]) * value);
        }
        return this with { Width = width, Height = height, Channels = 3, Pixels = output };
    }

    private double Bilinear(double x, double y)
    {
        x = Math.Clamp(x, 0, Width - 1);
        y = Math.Clamp(y, 0, Height - 1);
        int x0 = (int)x, y0 = (int)y, x1 = Math.Min(x0 + 1, Width - 1), y1 = Math.Min(y0 + 1, Height - 1);
        double fx = x - x0, fy = y - y0;
        double P(int px, int py) => Pixels[(py * Width + px) * Channels];
        return (1 - fy) * ((1 - fx) * P(x0, y0) + fx * P(x1, y0)) + fy * ((1 - fx) * P(x0, y1) + fx * P(x1, y1));
    }

    // Ink and background this far apart in brightness (of 255) keep the drawing visible.
    private const double MinimumContrast = 96;

    private static double[] RandomColour(Random random) => [random.Next(256), random.Next(256), random.Next(256)];

    private static double Luminance(double[] rgb) => 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}

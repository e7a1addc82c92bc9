using Microsoft.ML.NFNet.Tests.Training;

namespace Microsoft.ML.NFNet.Tests;

/// <summary>A separable synthetic image classification set: each class is a noisy image tinted with its own colour,
/// with a class-specific stripe orientation, encoded as PNG.</summary>
internal static class SyntheticImages
{
    private static readonly (byte R, byte G, byte B)[] Tints = [(220, 40, 40), (40, 200, 40), (40, 60, 220), (220, 200, 40)];

    public static InMemoryImageDataSource Create(int perClass, int classes, int size, int seed)
    {
        var random = new Random(seed);
        var images = new List<LabeledImage>();
        for (var i = 0; i < perClass; i++)
            for (var c = 0; c < classes; c++)
            {
                var tint = Tints[c % Tints.Length];
                var noise = random.Next();
                var local = new Random(noise);
                var image = new RgbImage(size, size, (x, y) =>
                {
                    var stripe = ((c % 2 == 0 ? x : y) / 4 % 2 == 0) ? 40 : -40;
                    byte Jitter(byte v) => (byte)Math.Clamp(v + stripe + local.Next(-30, 31), 0, 255);
                    return (Jitter(tint.R), Jitter(tint.G), Jitter(tint.B));
                });
                images.Add(new LabeledImage(image.EncodePng(), c));
            }
        return new InMemoryImageDataSource(images, classes);
    }
}

using System.IO.Compression;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>
/// Reads Fashion-MNIST's IDX files (gzip-compressed, as Debian's <c>dataset-fashion-mnist</c> installs them to
/// /usr/share/datasets/fashion-mnist, or uncompressed): 28×28 gray images, labels 0–9 in the official order.
/// </summary>
internal static class FashionMnistFiles
{
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The official label names in label order, made folder-friendly as the embedded subset's folders are
    /// ("T-shirt/top" → "T-shirt_top"), so rows from the IDX files and from those folders share their classes.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    public static (PixelImage[] Train, PixelImage[] Test) Load(string folder) =>
        (Read(folder, "train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         Read(folder, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"));

    private static PixelImage[] Read(string folder, string imagesName, string labelsName)
    {
        var images = ReadFile(folder, imagesName);
        var labels = ReadFile(folder, labelsName);
        Expect(BigEndian(images, 0) == 0x803, imagesName, "is not an IDX image file (magic 0x00000803)");
        Expect(BigEndian(labels, 0) == 0x801, labelsName, "is not an IDX label file (magic 0x00000801)");
        var count = BigEndian(images, 4);
        var rows = BigEndian(images, 8);
        var cols = BigEndian(images, 12);
        Expect(BigEndian(labels, 4) == count, labelsName, $"has {BigEndian(labels, 4)} labels for {count} images");
        Expect(images.Length == 16 + (long)count * rows * cols, imagesName, "is truncated");
        Expect(labels.Length == 8 + count, labelsName, "is truncated");
        var result = new PixelImage[count];
        for (var i = 0; i < count; i++)
        {
            var label = labels[8 + i];
            Expect(label < ClassNames.Length, labelsName, $"has label {label} at {i}");
            result[i] = new PixelImage(cols, rows, 1, images.AsSpan(16 + i * rows * cols, rows * cols).ToArray(), label);
        }
        return result;
    }

    private static byte[] ReadFile(string folder, string name)
    {
        var plain = Path.Combine(folder, name);
        if (File.Exists(plain))
            return File.ReadAllBytes(plain);
        var compressed = plain + ".gz";
        if (!File.Exists(compressed))
            throw new FileNotFoundException(
                $"Neither '{plain}' nor '{compressed}' exists. Install Fashion-MNIST (Debian: apt-get install " +
                "dataset-fashion-mnist) or pass --data with the folder of its IDX files.", compressed);
        using var gzip = new GZipStream(File.OpenRead(compressed), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static int BigEndian(byte[] data, int offset) =>
        data.Length < offset + 4 ? -1 : data[offset] << 24 | data[offset + 1] << 16 | data[offset + 2] << 8 | data[offset + 3];

    private static void Expect(bool condition, string file, string problem)
    {
        if (!condition)
            throw new InvalidDataException($"Fashion-MNIST file '{file}' {problem}.");
    }
}

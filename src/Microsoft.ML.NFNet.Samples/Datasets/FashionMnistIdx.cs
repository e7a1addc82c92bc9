using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.NFNet.Samples.Consumption;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Samples.Datasets;

/// <summary>
/// Reads the official Fashion-MNIST IDX files (Debian's <c>dataset-fashion-mnist</c> installs them, gzipped, in
/// <c>/usr/share/datasets/fashion-mnist</c>) into labelled rows of 28×28 grayscale PNG bytes, as the embedded subset holds them.
/// </summary>
internal static class FashionMnistIdx
{
    /// <summary>The official labels 0–9, as the embedded subset names its folders.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    /// <summary>The images of the <paramref name="split"/> ("train" or "t10k") whose label is in <paramref name="classes"/>.</summary>
    public static List<ModelInput> Load(string folder, string split, IReadOnlySet<string> classes)
    {
        var images = ReadIdx(folder, $"{split}-images-idx3-ubyte", 0x0803);
        var labels = ReadIdx(folder, $"{split}-labels-idx1-ubyte", 0x0801);
        var count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
        var (rows, columns) = (BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8)), BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12)));
        if (BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4)) != count)
            throw new InvalidDataException($"The {split} image and label files of '{folder}' disagree on the number of images.");
        var result = new List<ModelInput>();
        for (var i = 0; i < count; i++)
        {
            var name = ClassNames[labels[8 + i]];
            if (classes.Contains(name))
                result.Add(new ModelInput { Label = name, ImageSource = Png(images.AsSpan(16 + i * rows * columns, rows * columns), rows, columns) });
        }
        return result;
    }

    private static byte[] ReadIdx(string folder, string name, int magic)
    {
        var path = File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : Path.Combine(folder, name + ".gz");
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{folder}' has no {name}(.gz); install Debian's dataset-fashion-mnist or pass its folder.", path);
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != magic)
            throw new InvalidDataException($"'{path}' is not an IDX file of the expected kind.");
        return bytes;
    }

    private static byte[] Png(ReadOnlySpan<byte> pixels, int rows, int columns)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(columns, rows, SKColorType.Gray8, SKAlphaType.Opaque));
        var row = pixels.ToArray();
        for (var y = 0; y < rows; y++)
            System.Runtime.InteropServices.Marshal.Copy(row, y * columns, bitmap.GetPixels() + y * bitmap.RowBytes, columns);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

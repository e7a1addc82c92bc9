using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.NFNet.Samples;
using Microsoft.ML.NFNet.Samples.Training;
using ModelInput = Microsoft.ML.NFNet.Samples.MLModel.ModelInput;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>One row of the small-data table: what is trained on, what it is tested on, and the target.</summary>
/// <param name="Name">The row's name on the command line.</param>
/// <param name="Description">What the data is.</param>
/// <param name="Train">The training images (the trainer holds its own validation fraction out of them).</param>
/// <param name="Validation">An explicit validation set (the sample's 20 % hold-out), or null.</param>
/// <param name="Test">The images the accuracy is reported on.</param>
/// <param name="Target">The issue's target for this row, if any.</param>
internal sealed record SmallDataRow(string Name, string Description, IReadOnlyList<ModelInput> Train,
    IReadOnlyList<ModelInput>? Validation, IReadOnlyList<ModelInput> Test, string Target)
{
    /// <summary>The embedded subset's selection seed (eng/make-fashion-mnist-subset.py).</summary>
    private const int SelectionSeed = 20240601;

    /// <summary>The sample's seed and hold-out (the sample's default run).</summary>
    private const int SampleSeed = 1;
    private const double SampleValidationFraction = 0.2;

    private static readonly string[] TwoClassNames = [FashionMnistFiles.ClassNames[0], FashionMnistFiles.ClassNames[6]];

    public static readonly string[] MainRows = ["sample", "subset3000", "full"];

    public static readonly string[] RobustnessRows =
        ["gray8-1200", "gray14-3000", "two-class-100", "ten-class-100", "unbalanced", "colour112-1500"];

    public static IReadOnlyList<string> AllRows { get; } = [.. MainRows, "robustness", .. RobustnessRows, "sample-test10k"];

    /// <summary>Builds the row named <paramref name="name"/> from the IDX files in <paramref name="folder"/> (the sample row
    /// reads the app's embedded folders instead).</summary>
    public static SmallDataRow Create(string name, string folder)
    {
        if (name == "sample")
            return Sample();
        var (train, test) = FashionMnistFiles.Load(folder);
        if (name == "sample-test10k")
            return Sample() with { Name = name, Test = Encode(test), Target = "(tuning: the sample's training, the full test set)" };
        return name switch
        {
            "subset3000" => new(name, "stratified 300 per class of the 60,000 training images, 28×28 gray",
                Encode(PerClass(train, "train", 300)), null, Encode(test), "≥ 88 %"),
            "full" => new(name, "all 60,000 training images, 28×28 gray", Encode(train), null, Encode(test),
                "≥ 93 % within 30 min of training"),
            "gray8-1200" => new(name, "120 per class, downscaled to 8×8 (a small scan)",
                Encode(PerClass(train, "train", 120).Select(i => i.Downscale(8))), null,
                Encode(test.Select(i => i.Downscale(8))), "beat softmax regression"),
            "gray14-3000" => new(name, "300 per class, downscaled to 14×14",
                Encode(PerClass(train, "train", 300).Select(i => i.Downscale(14))), null,
                Encode(test.Select(i => i.Downscale(14))), "beat softmax regression"),
            "two-class-100" => new(name, "Shirt vs T-shirt/top (the most confused pair), 100 per class",
                Encode(PerClass(train.Where(i => i.Label is 0 or 6), "train", 100).Select(Relabel(0, 6)), TwoClassNames), null,
                Encode(test.Where(i => i.Label is 0 or 6).Select(Relabel(0, 6)), TwoClassNames), "beat softmax regression"),
            "ten-class-100" => new(name, "100 per class, 28×28 gray", Encode(PerClass(train, "train", 100)), null,
                Encode(test), "beat softmax regression"),
            "unbalanced" => new(name, "500 images of the commonest class down to 20 of the rarest (×0.7 per class), " +
                "tested on the balanced test set", Encode(Unbalanced(train)), null, Encode(test), "beat softmax regression"),
            "colour112-1500" => new(name, "150 per class, 112×112 colour drawings (ink and paper in random colours)",
                Encode(Colourize(PerClass(train, "train", 150), "train")), null,
                Encode(Colourize(PerClass(test, "test", 200), "test")), "beat softmax regression"),
            _ => throw new ArgumentException($"Unknown row '{name}'. Known: {string.Join(", ", AllRows)}.", nameof(name)),
        };
    }

    /// <summary>Your own data: folders with one sub-folder of images per class, trained as the trainer's defaults do
    /// (its own validation fraction held out of <paramref name="trainFolder"/>).</summary>
    public static SmallDataRow Folders(string trainFolder, string testFolder) => new(
        "folder:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(trainFolder))),
        $"your images: {trainFolder} (training), {testFolder} (test)",
        MLModel.ReadImageFolder(trainFolder, minimumClasses: 2), null, MLModel.ReadImageFolder(testFolder, minimumClasses: 2),
        "beat softmax regression");

    private static SmallDataRow Sample()
    {
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var all = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist"), minimumClasses: 2);
        var test = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnistTest"), minimumClasses: 2);
        var (train, validation) = StratifiedSplit.Split(all, SampleValidationFraction, SampleSeed);
        return new("sample", "the sample's embedded 1,500 images (1,200 trained, 300 validation, as the sample splits them)",
            train, validation, test, "≥ 84 %, sample run ≤ 3 min");
    }

    /// <summary>The first <paramref name="perClass"/> images of each class when ranked by a keyed hash of their index
    /// (the embedded subset's rule, so the 150 per class of the sample are the first of every larger subset).</summary>
    private static IEnumerable<PixelImage> PerClass(IEnumerable<PixelImage> images, string split, int perClass) => images
        .Select((image, index) => (image, index))
        .GroupBy(x => x.image.Label)
        .OrderBy(g => g.Key)
        .SelectMany(g => g.OrderBy(x => Rank(split, x.index), StringComparer.Ordinal).Take(perClass).Select(x => x.image));

    private static IEnumerable<PixelImage> Unbalanced(PixelImage[] train)
    {
        // Which class is common and which rare is fixed but unrelated to the label order.
        int[] order = [3, 7, 0, 9, 5, 2, 8, 1, 6, 4];
        return order.SelectMany((label, rank) =>
            PerClass(train.Where(i => i.Label == label), "train", (int)Math.Round(500 * Math.Pow(0.7, rank))));
    }

    private static IEnumerable<PixelImage> Colourize(IEnumerable<PixelImage> images, string split)
    {
        var random = new Random(split == "train" ? 1 : 2);
        return images.Select(i => i.Colourize(4, random));
    }

    private static Func<PixelImage, PixelImage> Relabel(params int[] labels) =>
        image => image with { Label = Array.IndexOf(labels, image.Label) };

    private static string Rank(string split, int index) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{SelectionSeed}:{split}:{index}")));

    /// <summary>Labelled rows of PNG bytes, as the embedded subset holds its images.</summary>
    internal static List<ModelInput> Encode(IEnumerable<PixelImage> images, IReadOnlyList<string>? classNames = null)
    {
        var list = images.ToList();
        var names = classNames ?? FashionMnistFiles.ClassNames;
        var rows = new ModelInput[list.Count];
        Parallel.For(0, list.Count, i => rows[i] = new ModelInput { Label = names[list[i].Label], ImageSource = Png(list[i]) });
        return rows.ToList();
    }

    private static byte[] Png(PixelImage image)
    {
        var colorType = image.Channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Opaque));
        var pixels = image.Channels == 1 ? image.Pixels : ToRgba(image.Pixels);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] ToRgba(byte[] rgb)
    {
        var rgba = new byte[rgb.Length / 3 * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgba[j] = rgb[i];
            rgba[j + 1] = rgb[i + 1];
            rgba[j + 2] = rgb[i + 2];
            rgba[j + 3] = 255;
        }
        return rgba;
    }
}

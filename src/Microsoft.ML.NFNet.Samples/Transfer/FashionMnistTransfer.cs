namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>
/// The split of Fashion-MNIST the transfer demo uses: the network is pretrained on the first five official classes and
/// fine-tuned on the other five, which it has never seen.
/// </summary>
public static class FashionMnistTransfer
{
    /// <summary>The shipped pretrained weights (an ExportTimm folder), relative to the app's folder.</summary>
    public const string ShippedWeights = "Data/Pretrained/nfnet_tiny-fashion-mnist-5";

    /// <summary>The embedded folders (under <c>Data</c>) with images of the new classes: the training and test subsets
    /// and the extra images of Data/README.md. None was seen by the pretrained weights.</summary>
    public static readonly IReadOnlyList<string> ImageFolders = ["FashionMnist", "FashionMnistTest", "FashionMnistExtra"];

    /// <summary>The official labels 0–9, as the embedded subset names its folders.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    /// <summary>Official labels 0–4: what the shipped weights were pretrained on.</summary>
    public static readonly IReadOnlySet<string> PretrainingClasses = ClassNames.Take(5).ToHashSet();

    /// <summary>Official labels 5–9: the new classes.</summary>
    public static readonly IReadOnlySet<string> NewClasses = ClassNames.Skip(5).ToHashSet();

    /// <summary>The first <paramref name="perClass"/> images of each new class, in file order (the embedded subset's
    /// files are a random sample of the official training split, named by their index in it).</summary>
    public static List<MLModel.ModelInput> FirstPerClass(IReadOnlyList<MLModel.ModelInput> images, int perClass)
    {
        var result = images.Where(i => NewClasses.Contains(i.Label)).GroupBy(i => i.Label)
            .SelectMany(g => g.Take(perClass)).ToList();
        var smallest = result.GroupBy(i => i.Label).Min(g => g.Count());
        if (smallest < perClass)
            throw new InvalidDataException($"Only {smallest} training images of a class are available; ask for at most that many per class.");
        return result;
    }

    /// <summary>Every embedded image of the new classes (<see cref="ImageFolders"/>), in folder and file order.</summary>
    public static List<MLModel.ModelInput> NewClassImages(string dataRoot) => ImageFolders
        .SelectMany(folder => MLModel.ReadImageFolder(Path.Combine(dataRoot, folder)))
        .Where(i => NewClasses.Contains(i.Label)).ToList();

    /// <summary>A random split of <paramref name="images"/> for one seed: <paramref name="perClass"/> images of each class
    /// to train on, all the others to test on. The same seed gives the same split, and nested training sets for
    /// growing <paramref name="perClass"/>.</summary>
    public static (List<MLModel.ModelInput> Train, List<MLModel.ModelInput> Test) RandomSplit(
        IReadOnlyList<MLModel.ModelInput> images, int perClass, int seed)
    {
        var random = new Random(seed);
        var train = new List<MLModel.ModelInput>();
        var test = new List<MLModel.ModelInput>();
        foreach (var group in images.GroupBy(i => i.Label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var shuffled = group.ToArray();
            random.Shuffle(shuffled);
            if (shuffled.Length <= perClass)
                throw new InvalidDataException($"Class '{group.Key}' has {shuffled.Length} images; train on fewer than that per class to leave some to test on.");
            train.AddRange(shuffled.Take(perClass));
            test.AddRange(shuffled.Skip(perClass));
        }
        return (train, test);
    }
}

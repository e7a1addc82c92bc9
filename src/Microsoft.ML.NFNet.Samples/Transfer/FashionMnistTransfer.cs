namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>
/// The split of Fashion-MNIST the transfer demo uses: the network is pretrained on the first five official classes and
/// fine-tuned on the other five, which it has never seen.
/// </summary>
public static class FashionMnistTransfer
{
    /// <summary>The shipped pretrained weights (an ExportTimm folder), relative to the app's folder.</summary>
    public const string ShippedWeights = "Data/Pretrained/nfnet_tiny-fashion-mnist-5";

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
}

using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Benchmarks.Transfer;

namespace Microsoft.ML.NFNet.Tests.Benchmarks;

/// <summary>How the transfer benchmark draws training images from the official training split (--fashion-mnist), for the
/// shipped split as for any other: N of each new class, none of a pretraining class, another draw per seed.</summary>
[TestClass]
public class ClassSplitTests
{
    // 30 images of each official label; each image's two pixels are its position in the list, so draws can be compared.
    private static readonly PixelImage[] Official = Enumerable.Range(0, 300)
        .Select(i => new PixelImage(2, 1, 1, [(byte)(i / 256), (byte)(i % 256)], Label: i % 10)).ToArray();

    [TestMethod]
    public void TheShippedSplitDrawsNImagesOfEachNewClassOnly()
    {
        var drawn = ClassSplit.Shipped.Draw(Official, perClass: 7, seed: 1);

        var perClass = drawn.GroupBy(row => row.Label).ToDictionary(g => g.Key, g => g.Count());
        CollectionAssert.AreEquivalent(new[] { "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot" }, perClass.Keys.ToArray());
        Assert.IsTrue(perClass.Values.All(count => count == 7), string.Join(", ", perClass));
        Assert.AreEqual(35, drawn.Select(row => Convert.ToBase64String(row.ImageSource)).Distinct().Count(), "no image drawn twice");
    }

    [TestMethod]
    public void EachSeedDrawsOtherImagesAndTheSameSeedTheSameOnes()
    {
        static string[] Draw(int seed) => ClassSplit.Shipped.Draw(Official, perClass: 7, seed)
            .Select(row => Convert.ToBase64String(row.ImageSource)).ToArray();

        CollectionAssert.AreEqual(Draw(1), Draw(1));
        CollectionAssert.AreNotEquivalent(Draw(1), Draw(2));
    }
}

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>Shuffling is a true permutation per epoch, fixed by (seed, epoch) alone, whatever holds the images.</summary>
[TestClass]
public class EpochPlanTests
{
    [TestMethod]
    public void EveryEpochVisitsEachUsableImageOnceInAnOrderFixedBySeedAndEpoch()
    {
        var usable = Enumerable.Range(0, 103).Where(i => i % 7 != 3).ToArray(); // 88 images, some left out

        var first = Order(new EpochPlan(seed: 5, epoch: 1, usable, batchSize: 8));
        var firstAgain = Order(new EpochPlan(seed: 5, epoch: 1, usable, batchSize: 8));
        var second = Order(new EpochPlan(seed: 5, epoch: 2, usable, batchSize: 8));
        var otherSeed = Order(new EpochPlan(seed: 6, epoch: 1, usable, batchSize: 8));

        foreach (var order in new[] { first, second, otherSeed })
        {
            CollectionAssert.AreEqual(usable, order.Order().ToArray(), "each usable image exactly once, no other");
            CollectionAssert.AreNotEqual(usable, order, "shuffled");
        }
        CollectionAssert.AreEqual(first, firstAgain, "the same seed and epoch give the same order");
        CollectionAssert.AreNotEqual(first, second, "each epoch has its own order");
        CollectionAssert.AreNotEqual(first, otherSeed, "each seed has its own order");
    }

    [TestMethod]
    public void BatchesAreFullButTheLast()
    {
        var plan = new EpochPlan(seed: 1, epoch: 3, Enumerable.Range(0, 21).ToArray(), batchSize: 8);

        CollectionAssert.AreEqual(new[] { 8, 8, 5 }, plan.Batches.Select(b => b.Length).ToArray());
    }

    private static int[] Order(EpochPlan plan) => plan.Batches.SelectMany(batch => batch).ToArray();
}

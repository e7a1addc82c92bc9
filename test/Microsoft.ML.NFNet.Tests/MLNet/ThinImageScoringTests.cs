namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Issue 13, item 1 at the scoring API: a 1,000,000 × 1 or 1 × 10,000 PNG (under the 64 MP pixel limit) costs a few
/// megabytes to score, not gigabytes, and with the default aspect-ratio limit it is refused from its header; in
/// training such an image names its row.
/// </summary>
[TestClass]
public class ThinImageScoringTests
{
    private const long MiB = 1 << 20;

    // Before issue 13 one Predict of these took 10.2 GB (1,000,000 × 1 at 32 px) and 1.5 GB (1 × 10,000 at 192 px).
    [TestMethod]
    [DataRow(1_000_000, 1, 32)]
    [DataRow(1, 10_000, 64)]
    [DataRow(1_000_000, 1, 128)]
    public void ScoringAThinStripCostsASmallMultipleOfItsPixels(int width, int height, int imageSize)
    {
        var png = Strip(width, height);
        var preprocessing = new ImagePreprocessingOptions { ImageSize = imageSize, MaxAspectRatio = double.PositiveInfinity };
        var parameters = new NFNetModelParameters(new MLContext(seed: 1), new NFNetModel(TinyConfigs.Light, 2), preprocessing, null, null);
        parameters.PredictProbabilities([Strip(8, 8)]); // first call: lazy native initialisation outside the measurement

        float[][]? probabilities = null;
        var growth = PeakRss.Growth(() => probabilities = parameters.PredictProbabilities([png]));

        Assert.AreEqual(1, probabilities![0].Sum(), 1e-5, "a probability distribution");
        Assert.IsTrue(probabilities[0].All(float.IsFinite));
        if (growth is null)
            Assert.Inconclusive("This OS does not report the peak resident set; the probabilities were checked.");
        // The decoded strip is 4 bytes a pixel (Skia's RGBA), copied once into a tensor; the rest is the tiny network.
        var decoded = 4L * width * height;
        var bound = 4 * decoded + 48 * MiB;
        Console.WriteLine($"{width}×{height} at {imageSize} px: peak RSS grew by {growth.Value / (double)MiB:F1} MiB (bound {bound / (double)MiB:F0} MiB)");
        Assert.IsLessThan(bound, growth.Value, $"peak RSS growth of one Predict of a {width}×{height} PNG");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void AugmentingAThinStripForTrainingCostsASmallMultipleOfItsPixels(bool randomResizedCrop)
    {
        // The random-resized crop is sampled in source coordinates (torchvision falls back to a centre crop within
        // the ratio range for such a shape), so only that region is resized; without it training uses the evaluation plan.
        var png = Strip(1_000_000, 1);
        var options = TestAugmentation.Standard with { ImageSize = 128, MaxAspectRatio = double.PositiveInfinity, RandomResizedCrop = randomResizedCrop };
        var batcher = new ImageBatcher(options);
        batcher.CreateTrainingBatch([Strip(8, 8)], [0], 2, 0.1, new Random(1)).Dispose();

        long[]? shape = null;
        var growth = PeakRss.Growth(() =>
        {
            using var batch = batcher.CreateTrainingBatch([png], [1], 2, 0.1, new Random(2));
            shape = batch.Images.shape;
        });

        CollectionAssert.AreEqual(new long[] { 1, 3, 128, 128 }, shape);
        if (growth is not null)
            Assert.IsLessThan(4 * 4_000_000L + 48 * MiB, growth.Value, $"peak RSS growth: {growth.Value / (double)MiB:F1} MiB");
    }

    [TestMethod]
    public void WithTheDefaultLimitAThinStripIsRefusedBeforeItIsDecoded()
    {
        var png = Strip(1_000_000, 1);
        var parameters = new NFNetModelParameters(new MLContext(seed: 1), new NFNetModel(TinyConfigs.Light, 2),
            new ImagePreprocessingOptions { ImageSize = 32 }, null, null);

        var e = Assert.ThrowsExactly<InvalidImageException>(() => parameters.PredictProbabilities([png]));
        StringAssert.Contains(e.Message, "Image 0");
        StringAssert.Contains(e.Message, "1,000,000×1");
        StringAssert.Contains(e.Message, nameof(ImagePreprocessingOptions.MaxAspectRatio));
    }

    [TestMethod]
    public void InTrainingAThinStripNamesItsRowOrIsSkipped()
    {
        var mlContext = new MLContext(seed: 1);
        var images = TestImages.Images(perClass: 2, seed: 1);
        images[3].ImageSource = Strip(1, 10_000);
        var data = mlContext.Data.LoadFromEnumerable(images);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

        var e = Assert.ThrowsExactly<InvalidImageException>(() => mlContext.MulticlassClassification.Trainers.NFNet(TestImages.FastOptions()).Fit(keyed));
        StringAssert.Contains(e.Message, "Row 3 ");
        StringAssert.Contains(e.Message, nameof(ImagePreprocessingOptions.MaxAspectRatio));

        var skipping = TestImages.FastOptions();
        skipping.Training = skipping.Training with { SkipInvalidImages = true, Epochs = 1 };
        var model = mlContext.MulticlassClassification.Trainers.NFNet(skipping).Fit(keyed).Model;
        Assert.AreEqual(1, model.Training!.SkippedImages, "the strip is left out and counted");
    }

    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/> with a gradient along the strip.</summary>
    private static byte[] Strip(int width, int height)
    {
        var length = Math.Max(width, height);
        return new RgbImage(width, height, (x, y) =>
        {
            var v = (byte)((x + y) * 251L / Math.Max(1, length - 1));
            return (v, (byte)(255 - v), 128);
        }).EncodePng();
    }
}

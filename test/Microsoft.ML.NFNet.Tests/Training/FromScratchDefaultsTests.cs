namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>The data-adaptive defaults for training from scratch, on synthetic data profiles: the values each rule
/// chooses, the reasons it logs, and that an explicit setting always wins.</summary>
[TestClass]
public class FromScratchDefaultsTests
{
    private static readonly NFNetConfig Tiny = NFNetConfig.Variant("nfnet_tiny");

    private static DatasetProfile Profile(int images, int width, int height, int classes = 10, double gray = 1.0) =>
        new(images, classes, images / classes, images / classes, width, height, gray);

    private static (NFNetTrainingOptions Options, IReadOnlyList<string> Choices) Resolve(DatasetProfile profile,
        NFNetTrainingOptions? options = null) => AutomaticSettings.Resolve(options ?? new NFNetTrainingOptions(), profile, Tiny);

    [TestMethod]
    public void SmallGrayImagesTrainAtTheStrideWithGentleCropsAndNoFlips()
    {
        var (options, choices) = Resolve(Profile(images: 1200, width: 28, height: 28));

        var p = options.Preprocessing;
        Assert.AreEqual(32, p.ImageSize, "28 px → the nearest multiple of the stride, 32");
        Assert.AreEqual(FromScratchDefaults.SmallImageCropScaleMin, p.CropScaleMin);
        Assert.AreEqual(0.0, p.HorizontalFlipProbability);
        Assert.AreEqual(0.0, p.MixUpAlpha);
        Assert.AreEqual(0.0, p.CutMixAlpha);
        Assert.AreEqual(0.1, options.Optimizer.LearningRate);
        // 80 · (1000 / 1200)^0.5 = 73.03
        Assert.AreEqual(73, options.Epochs);
        Assert.AreEqual(3.65, options.Optimizer.WarmupEpochs!.Value, 1e-9, "5 % of 73 epochs");
        Assert.AreEqual(36, options.EarlyStopping!.Patience, "half of 73 epochs");
        Assert.IsTrue(choices.All(c => System.Text.RegularExpressions.Regex.IsMatch(c, @"^[\w.]+ = [^ ]+ \(.+\)$")),
            "every choice says 'Name = value (why)': " + string.Join(" | ", choices));
        CollectionAssert.AreEquivalent(
            new[] { "Epochs", "ImageSize", "CropScaleMin", "HorizontalFlipProbability", "MixUpAlpha", "CutMixAlpha", "LearningRate",
                "ClippingFactor", "WarmupEpochs", "EarlyStopping.Patience" },
            choices.Select(c => c.Split(' ')[0]).ToArray());
        StringAssert.Contains(choices.Single(c => c.StartsWith("ImageSize", StringComparison.Ordinal)), "28 px");
    }

    [TestMethod]
    public void TinyImagesAreNeverUpsampledPastTheNetworksStride()
    {
        Assert.AreEqual(32, Resolve(Profile(1200, 8, 8)).Options.Preprocessing.ImageSize, "8 px: the stride is the floor");
        Assert.AreEqual(32, Resolve(Profile(1200, 14, 14)).Options.Preprocessing.ImageSize, "14 px: the stride");
        Assert.AreEqual(32, Resolve(Profile(1200, 40, 40)).Options.Preprocessing.ImageSize, "40 px → the nearest multiple, 32");
        Assert.AreEqual(64, Resolve(Profile(1200, 48, 48)).Options.Preprocessing.ImageSize, "48 px → 64 (halves round up)");
        Assert.AreEqual(64, Resolve(Profile(1200, 64, 64)).Options.Preprocessing.ImageSize, "64 px: kept as it is");
        StringAssert.Contains(Resolve(Profile(1200, 8, 8)).Choices.Single(c => c.StartsWith("ImageSize", StringComparison.Ordinal)),
            "smallest input");
    }

    [TestMethod]
    public void LargerImagesKeepTheirSizeUpToTheCapAndGetStrongerCrops()
    {
        var drawings = Resolve(Profile(1500, 100, 100, gray: 0)).Options.Preprocessing;
        var photos = Resolve(Profile(1500, 500, 375, gray: 0)).Options.Preprocessing;

        Assert.AreEqual(FromScratchDefaults.MaxImageSize, drawings.ImageSize, "100 px → 96 → the 64 px cap");
        Assert.AreEqual(FromScratchDefaults.MaxImageSize, photos.ImageSize, "375 px (the shorter side) → the cap");
        var (_, choices) = Resolve(Profile(1500, 100, 100, gray: 0));
        StringAssert.Contains(choices.Single(c => c.StartsWith("ImageSize", StringComparison.Ordinal)), "at most 64 px");
        // Between 32 px (0.6) and 224 px (0.08), linear in log(size): 100 px is 58.5 % of the way.
        Assert.AreEqual(0.3, drawings.CropScaleMin!.Value, 1e-9);
        Assert.AreEqual(FromScratchDefaults.PhotoCropScaleMin, photos.CropScaleMin);
    }

    [TestMethod]
    public void TheShorterSideOfOblongImagesSetsTheSize()
    {
        Assert.AreEqual(32, Resolve(Profile(1200, 96, 32)).Options.Preprocessing.ImageSize, "the 32 px shorter side");
    }

    [TestMethod]
    public void SmallerDatasetsTrainMoreEpochsButFewerSteps()
    {
        int Epochs(int images) => Resolve(Profile(images, 28, 28)).Options.Epochs!.Value;

        Assert.AreEqual(FromScratchDefaults.ReferenceEpochs, Epochs(FromScratchDefaults.ReferenceImages));
        Assert.AreEqual(49, Epochs(2700), "80 · (1000/2700)^0.5 = 48.7");
        Assert.AreEqual(11, Epochs(54_000), "80 · (1000/54000)^0.5 = 10.9");
        Assert.AreEqual(FromScratchDefaults.MinEpochs, Epochs(1_000_000), "2.5, raised to the minimum");
        Assert.AreEqual(FromScratchDefaults.MaxEpochs, Epochs(12), "a dozen images: the maximum");
        Assert.IsTrue(54_000L * Epochs(54_000) > 2700L * Epochs(2700), "a larger set still takes more steps");
    }

    [TestMethod]
    public void ATimeBudgetAllowsMoreEpochsWhenTheyFit()
    {
        var budget = new NFNetTrainingOptions { MaxTrainingTime = TimeSpan.FromMinutes(30) };

        var small = Resolve(Profile(1200, 28, 28), budget);
        var large = Resolve(Profile(54_000, 28, 28), budget);

        Assert.AreEqual(FromScratchDefaults.MaxEpochs, small.Options.Epochs, "3 × 73, capped");
        Assert.AreEqual(33, large.Options.Epochs, "3 × 11");
        StringAssert.Contains(large.Choices.Single(c => c.StartsWith("Epochs", StringComparison.Ordinal)), "MaxTrainingTime");
        Assert.AreEqual(7, Resolve(Profile(54_000, 28, 28), budget with { Epochs = 7 }).Options.Epochs, "explicit epochs win");
    }

    [TestMethod]
    public void ShortRunsWarmUpForHalfAnEpochAndLongOnesForAtMostFive()
    {
        Assert.AreEqual(0.5, Resolve(Profile(1_000_000, 28, 28)).Options.Optimizer.WarmupEpochs, "5 % of 10 epochs, raised");
        Assert.AreEqual(5.0, Resolve(Profile(20, 28, 28, classes: 2)).Options.Optimizer.WarmupEpochs, "5 % of 150 epochs is 7.5");
        var explicitEpochs = Resolve(Profile(1200, 28, 28), new NFNetTrainingOptions { Epochs = 20 });
        Assert.AreEqual(1.0, explicitEpochs.Options.Optimizer.WarmupEpochs, "the warm-up follows the epochs the user chose");
    }

    [TestMethod]
    public void SmallBatchesGetAProportionallySmallerLearningRate()
    {
        var (options, choices) = Resolve(Profile(1200, 28, 28), new NFNetTrainingOptions { BatchSize = 8 });

        Assert.AreEqual(0.025, options.Optimizer.LearningRate!.Value, 1e-12);
        StringAssert.Contains(choices.Single(c => c.StartsWith("LearningRate", StringComparison.Ordinal)), "batch 8");
        Assert.AreEqual(0.1, Resolve(Profile(1200, 28, 28), new NFNetTrainingOptions { BatchSize = 256 }).Options.Optimizer.LearningRate);
    }

    [TestMethod]
    public void TheClippingFactorLoosensForSmallBatches()
    {
        double Clip(int batch) => Resolve(Profile(100_000, 28, 28), new NFNetTrainingOptions { BatchSize = batch }).Options.Optimizer.ClippingFactor!.Value;

        Assert.AreEqual(FromScratchDefaults.SmallBatchClippingFactor, Clip(32));
        Assert.AreEqual(FromScratchDefaults.SmallBatchClippingFactor, Clip(8), "capped");
        Assert.AreEqual(0.017, Clip(256), 1e-12, "0.01 · 4^0.4 = 0.0174");
        Assert.AreEqual(0.01, Clip(1024));
        Assert.AreEqual(0.01, Clip(4096), "never below DeepMind's");
    }

    [TestMethod]
    public void ABatchLargerThanTheDataCountsAsTheData()
    {
        var (options, _) = Resolve(Profile(16, 28, 28, classes: 2), new NFNetTrainingOptions { BatchSize = 32 });
        Assert.AreEqual(0.05, options.Optimizer.LearningRate!.Value, 1e-12, "16 images make a batch of 16");
    }

    [TestMethod]
    public void WithBatchScalingTheAutomaticRateStillPeaksAtPointOneAtBatch32()
    {
        var given = new NFNetTrainingOptions { Optimizer = new NFNetOptimizerOptions { ScaleLearningRateWithBatchSize = true } };
        var (options, _) = Resolve(Profile(1200, 28, 28), given);
        Assert.AreEqual(0.1, options.Optimizer.PeakLearningRate(32), 1e-12);
    }

    [TestMethod]
    public void ExplicitSettingsAlwaysWinAndAreNotReportedAsChoices()
    {
        var given = new NFNetTrainingOptions
        {
            Epochs = 3,
            Preprocessing = new ImagePreprocessingOptions
            {
                ImageSize = 48, CropScaleMin = 0.2, HorizontalFlipProbability = 0.5, MixUpAlpha = 0.2, CutMixAlpha = 1.0,
            },
            Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 0, ClippingFactor = 0 },
            EarlyStopping = new EarlyStoppingOptions { Patience = 2 },
        };

        var (options, choices) = Resolve(Profile(1200, 28, 28), given);

        // Only the scoring settings (not training choices) are filled in, with the values the model will score with.
        Assert.AreEqual(given with { Preprocessing = given.Preprocessing.WithEvaluationDefaults() }, options, "nothing was left to choose");
        Assert.IsEmpty(choices);
    }

    [TestMethod]
    public void PatienceIsHalfTheEpochsAndNoEarlyStoppingStaysOff()
    {
        Assert.AreEqual(EarlyStoppingOptions.MinimumPatience, Resolve(Profile(1_000_000, 28, 28)).Options.EarlyStopping!.Patience, "10 epochs");
        Assert.AreEqual(10, Resolve(Profile(1200, 28, 28), new NFNetTrainingOptions { Epochs = 20 }).Options.EarlyStopping!.Patience);
        Assert.IsNull(Resolve(Profile(1200, 28, 28), new NFNetTrainingOptions { EarlyStopping = null }).Options.EarlyStopping);
    }

    [TestMethod]
    public void TheBestEpochIsRestoredOnlyWhenTheValidationSetCanTellItApart()
    {
        var profile = Profile(1200, 28, 28);
        var small = AutomaticSettings.Resolve(new NFNetTrainingOptions(), profile, Tiny, validationImages: 120);
        var large = AutomaticSettings.Resolve(new NFNetTrainingOptions(), profile, Tiny, validationImages: 6000);
        var given = AutomaticSettings.Resolve(new NFNetTrainingOptions { EarlyStopping = new() { RestoreBestWeights = true } },
            profile, Tiny, validationImages: 120);
        var none = AutomaticSettings.Resolve(new NFNetTrainingOptions(), profile, Tiny, validationImages: 0);

        Assert.IsFalse(small.Options.EarlyStopping!.RestoreBestWeights);
        Assert.AreEqual(73, small.Options.EarlyStopping!.Patience, "and no early stop on such noise: every epoch is trained");
        Assert.AreEqual(36, large.Options.EarlyStopping!.Patience);
        StringAssert.Contains(small.Choices.Single(c => c.StartsWith("EarlyStopping.RestoreBestWeights", StringComparison.Ordinal)),
            "only 120 validation images");
        Assert.IsTrue(large.Options.EarlyStopping!.RestoreBestWeights);
        Assert.IsTrue(given.Options.EarlyStopping!.RestoreBestWeights, "an explicit setting wins");
        Assert.IsFalse(given.Choices.Any(c => c.StartsWith("EarlyStopping.RestoreBestWeights", StringComparison.Ordinal)));
        Assert.IsNull(none.Options.EarlyStopping!.RestoreBestWeights, "nothing to choose without validation");
    }

    [TestMethod]
    public void WarmupStepsLeaveTheWarmupEpochsAlone()
    {
        var given = new NFNetTrainingOptions { Optimizer = new NFNetOptimizerOptions { WarmupSteps = 10 } };
        var (options, choices) = Resolve(Profile(1200, 28, 28), given);
        Assert.IsNull(options.Optimizer.WarmupEpochs);
        Assert.IsFalse(choices.Any(c => c.StartsWith("WarmupEpochs", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void FineTuningResolvesEarlyStoppingAndClippingToo()
    {
        // Nothing automatic may reach the engine unresolved, whichever rules apply.
        var tuned = AutomaticSettings.Resolve(new NFNetTrainingOptions(),
            Profile(1200, 28, 28), Tiny, fromPretrained: true, validationImages: 120);
        var stopping = tuned.Options.EarlyStopping!;
        Assert.AreEqual(tuned.Options.Epochs, stopping.Patience, "120 validation images are too few to stop on");
        Assert.IsFalse(stopping.RestoreBestWeights);
        Assert.AreEqual(0.04, tuned.Options.Optimizer.ClippingFactor, "batch 32: the small-batch λ, as from scratch");
        CollectionAssert.IsSubsetOf(new[] { "EarlyStopping.Patience", "EarlyStopping.RestoreBestWeights", "ClippingFactor" },
            tuned.Choices.Select(c => c[..c.IndexOf(' ', StringComparison.Ordinal)]).ToArray());
    }
}

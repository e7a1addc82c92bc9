using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>The CPU fine-tuning plan: what trains, at which resolution, within which budget, for given measured costs;
/// explicit settings win; and a fit through the plan.</summary>
[TestClass]
public class CpuFineTuningPlanTests
{
    private static readonly NFNetConfig L0 = NFNetConfig.Variant("eca_nfnet_l0"); // published: trains at 224, tests at 288

    // 1,000 small images of 10 classes: 32 steps per epoch, 320 planned steps, 100 needed for the whole network.
    private static readonly DatasetProfile Thousand = new(1000, 10, 100, 100, 64, 64, 0);

    // Costs per image measured at 128 px (the lowest size tried for 224): training step, forward pass.
    private static readonly StepCosts Fast = new(128, 0.005, 0.002);
    private static readonly StepCosts Medium = new(128, 0.060, 0.015);
    private static readonly StepCosts Slow = new(128, 0.200, 0.080);

    // As the ML.NET trainer passes them: the weights' published sizes filled in, marked automatic.
    private static NFNetTrainingOptions Published() => new() { Preprocessing = new() { ImageSize = 224, EvalImageSize = 288 } };

    private static (NFNetTrainingOptions Settings, IReadOnlyList<string> Choices) Resolve(NFNetTrainingOptions options, StepCosts? costs,
        bool sizesAreAutomatic = true) =>
        AutomaticSettings.Resolve(options, Thousand, L0, fromPretrained: true, validationImages: 100, cpuCosts: costs,
            sizesAreAutomatic: sizesAreAutomatic);

    [TestMethod]
    public void AFastMachineFineTunesTheWholeNetworkAtThePublishedSizesWithinTheDefaultBudget()
    {
        var (settings, choices) = Resolve(Published(), Fast);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts);
        Assert.AreEqual(224, settings.Preprocessing.ImageSize);
        Assert.AreEqual(288, settings.Preprocessing.EvalImageSize);
        Assert.AreEqual(TimeSpan.FromMinutes(10), settings.MaxTrainingTime);
        Assert.IsTrue(settings.Preprocessing.RandomResizedCrop);
        Assert.IsTrue(choices.Any(c => c.StartsWith("MaxTrainingTime = 00:10:00 (", StringComparison.Ordinal)), string.Join("\n", choices));
        Assert.IsTrue(choices.Any(c => c.StartsWith("TrainableParts = All (whole network", StringComparison.Ordinal)), string.Join("\n", choices));
    }

    [TestMethod]
    public void AMediumMachineTrainsTheWholeNetworkBelowThePublishedSizeAndScoresAtThePublishedRatio()
    {
        // 224 px: 100 steps × 32 images × 184 ms = 9.8 min > 8 min; 192 px: 7.2 min + validations fits.
        var (settings, choices) = Resolve(Published(), Medium);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts);
        Assert.AreEqual(192, settings.Preprocessing.ImageSize);
        Assert.AreEqual(240, settings.Preprocessing.EvalImageSize, "192 × 288 / 224 = 247, rounded to a multiple of 16");
        Assert.IsTrue(choices.Contains("ImageSize = 192 (below the published 224 px, to fit the time budget)"), string.Join("\n", choices));
        Assert.IsTrue(choices.Any(c => c.StartsWith("EvalImageSize = 240 (", StringComparison.Ordinal)), string.Join("\n", choices));
    }

    [TestMethod]
    public void TheIssuesLaptopFineTunesTheWholeNetworkAt128PixelsAndScoresAt160()
    {
        // Issue 21's quiet 2-core CPU: 3 images/s for eca_nfnet_l0 training steps at 224 px (a forward pass about a third of
        // that); 900 training images after the trainer's 10 % validation split. 160 px: 100 × 32 × 170 ms = 9.1 min > 8 min.
        var profile = new DatasetProfile(900, 10, 90, 90, 64, 64, 0);
        var (settings, _) = AutomaticSettings.Resolve(Published(), profile, L0, fromPretrained: true, validationImages: 100,
            cpuCosts: new StepCosts(224, 1 / 3.0, 1 / 9.0), sizesAreAutomatic: true);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts);
        Assert.AreEqual(128, settings.Preprocessing.ImageSize);
        Assert.AreEqual(160, settings.Preprocessing.EvalImageSize, "128 × 288 / 224 = 165, rounded to a multiple of 16");
        Assert.AreEqual(21, settings.Epochs, "the fine-tuning default (⌈600 / 29 steps per epoch⌉); the budget shortens the schedule to what fits");
    }

    [TestMethod]
    public void ASlowMachineTrainsTheHeadOnFeaturesComputedOnce()
    {
        // Even at 128 px the whole network needs 100 × 32 × 200 ms = 10.7 min; the features of 1,100 images at 192 px take 3.3 min.
        var (settings, choices) = Resolve(Published(), Slow);
        Assert.AreEqual(NFNetTrainableParts.Head, settings.TrainableParts);
        Assert.AreEqual(192, settings.Preprocessing.ImageSize);
        Assert.AreEqual(192, settings.Preprocessing.EvalImageSize, "the head is trained on features at the training size");
        Assert.IsFalse(settings.Preprocessing.RandomResizedCrop);
        Assert.AreEqual(0, settings.Preprocessing.HorizontalFlipProbability);
        Assert.IsTrue(FeatureCache.Applies(settings.Preprocessing), "the backbone runs once per image");
        Assert.IsTrue(choices.Any(c => c.StartsWith("TrainableParts = Head (head on features computed once", StringComparison.Ordinal)),
            string.Join("\n", choices));
    }

    [TestMethod]
    public void AGivenBudgetIsTheOneThePlanFits()
    {
        var options = Published();
        options.MaxTrainingTime = TimeSpan.FromHours(1);
        var (settings, choices) = Resolve(options, Slow);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts, "an hour fits the whole network at 224 px");
        Assert.AreEqual(224, settings.Preprocessing.ImageSize);
        Assert.AreEqual(TimeSpan.FromHours(1), settings.MaxTrainingTime);
        Assert.IsFalse(choices.Any(c => c.StartsWith("MaxTrainingTime", StringComparison.Ordinal)), "the user's budget is not a choice");
    }

    [TestMethod]
    public void ExplicitTrainablePartsOrEpochsTurnThePlanOff()
    {
        var parts = Published();
        parts.TrainableParts = NFNetTrainableParts.LastStages;
        var (withParts, _) = Resolve(parts, Slow);
        Assert.AreEqual(NFNetTrainableParts.LastStages, withParts.TrainableParts);
        Assert.IsNull(withParts.MaxTrainingTime, "no budget unless asked for");
        Assert.AreEqual(224, withParts.Preprocessing.ImageSize);

        var epochs = Published();
        epochs.Epochs = 3;
        var (withEpochs, _) = Resolve(epochs, Slow);
        Assert.AreEqual(NFNetTrainableParts.All, withEpochs.TrainableParts, "the fine-tuning default");
        Assert.AreEqual(3, withEpochs.Epochs);
        Assert.IsNull(withEpochs.MaxTrainingTime);
        Assert.IsTrue(withEpochs.Preprocessing.RandomResizedCrop);
    }

    [TestMethod]
    public void TheUsersImageSizeAndAugmentationAreKept()
    {
        var options = new NFNetTrainingOptions { Preprocessing = new() { ImageSize = 224, HorizontalFlipProbability = 0.5 } };
        var (settings, _) = Resolve(options, Medium, sizesAreAutomatic: false);
        Assert.AreEqual(NFNetTrainableParts.Head, settings.TrainableParts, "at the user's 224 px only the head fits");
        Assert.AreEqual(224, settings.Preprocessing.ImageSize);
        Assert.IsTrue(settings.Preprocessing.RandomResizedCrop, "augmentation the user asked for stays (the backbone then runs every step)");
        Assert.AreEqual(0.5, settings.Preprocessing.HorizontalFlipProbability);
    }

    [TestMethod]
    public void WithoutMeasuredCostsAGpuKeepsWholeNetworkFineTuning()
    {
        var (settings, choices) = Resolve(Published(), costs: null);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts);
        Assert.AreEqual(224, settings.Preprocessing.ImageSize);
        Assert.IsNull(settings.MaxTrainingTime);
        Assert.IsFalse(choices.Any(c => c.StartsWith("MaxTrainingTime", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void AFitThroughThePlanMeasuresChoosesTheHeadWhenNothingElseFitsAndTrainsOnlyIt()
    {
        var network = TinyConfigs.Light with { Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16, BottleneckRatio = 0.5 };
        var train = SyntheticImages.Create(perClass: 6, classes: 3, size: 32, seed: 1);
        manual_seed(4);
        using var model = new NFNetModel(network, numClasses: 3);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var log = new List<string>();
        var options = new NFNetTrainingOptions
        {
            Seed = 3,
            BatchSize = 8,
            LogEveryBatches = 0,
            MaxTrainingTime = TimeSpan.FromMilliseconds(1), // nothing but the head fits
            Preprocessing = new() { ImageSize = 32 },
            Optimizer = new() { WarmupEpochs = 0 }, // the one step that fits trains at the peak rate
        };

        var result = new NFNetTrainingEngine(options, log.Add).Train(model, train, pretrained: true);

        Assert.IsTrue(log.Any(l => l.StartsWith("Measured at 32 px: ", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.AreEqual(NFNetTrainableParts.Head, result.Settings!.TrainableParts);
        Assert.IsTrue(log.Any(l => l.Contains("computed the backbone's features", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.IsTrue(result.AutomaticChoices.Any(c => c.StartsWith("TrainableParts = Head (", StringComparison.Ordinal)));
        foreach (var (name, tensor) in model.state_dict())
            if (name.StartsWith("head.", StringComparison.Ordinal))
                Assert.IsFalse(TensorAssert.AreEqual(before[name], tensor), $"{name} trained");
            else
                TensorAssert.Identical(before[name], tensor, $"{name} frozen (the probe changes no weight)");
    }

    [TestMethod]
    public void AnExplicitSettingSkipsTheProbe()
    {
        var network = TinyConfigs.Light with { Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16, BottleneckRatio = 0.5 };
        var train = SyntheticImages.Create(perClass: 4, classes: 3, size: 32, seed: 1);
        using var model = new NFNetModel(network, numClasses: 3);
        var log = new List<string>();
        var result = new NFNetTrainingEngine(new NFNetTrainingOptions
        {
            Seed = 3,
            Epochs = 1,
            BatchSize = 8,
            LogEveryBatches = 0,
            Preprocessing = new() { ImageSize = 32 },
        }, log.Add).Train(model, train, pretrained: true);
        Assert.IsFalse(log.Any(l => l.StartsWith("Measured at", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.AreEqual(NFNetTrainableParts.All, result.Settings!.TrainableParts);
        Assert.IsNull(result.Settings.MaxTrainingTime);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>What trains, what stays frozen (eval mode, no gradients, no optimizer state), the backbone's learning-rate
/// factor, the feature cache of head-only training, and checkpoints in every mode.</summary>
[TestClass]
public class FineTuningTests
{
    private static NFNetConfig Network => TinyConfigs.Light with { Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16,
        BottleneckRatio = 0.5, DropRate = 0.3, DropPathRate = 0.3 };

    private static NFNetTrainingOptions Options(NFNetTrainableParts parts, int epochs = 2, bool augment = false) => new()
    {
        Epochs = epochs,
        BatchSize = 8,
        Seed = 3,
        LogEveryBatches = 0,
        Preprocessing = augment
            ? new ImagePreprocessingOptions { ImageSize = 32, CropScaleMin = 0.5, HorizontalFlipProbability = 0.5, MixUpAlpha = 0, CutMixAlpha = 0 }
            : new ImagePreprocessingOptions { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0, MixUpAlpha = 0, CutMixAlpha = 0 },
        Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 0 },
        TrainableParts = parts,
        TrainableLastStages = 1,
        BackboneLearningRateFactor = 1,
    };

    [TestMethod]
    public void HeadOnlyTrainsOnlyTheClassifier()
    {
        using var model = TrainAndCheckWhatChanged(NFNetTrainableParts.Head, "head.");
        Assert.IsTrue(model.parameters().All(p => p.requires_grad), "gradients are back on after training");
    }

    [TestMethod]
    public void LastStagesTrainsTheLastStageTheFinalConvAndTheHead() =>
        TrainAndCheckWhatChanged(NFNetTrainableParts.LastStages, "stages.3.", "final_conv.", "head.").Dispose();

    // Trains a pretrained model with augmentation and checks that exactly the tensors under the prefixes changed.
    private static NFNetModel TrainAndCheckWhatChanged(NFNetTrainableParts parts, params string[] trainedPrefixes)
    {
        var train = SyntheticImages.Create(perClass: 6, classes: 3, size: 32, seed: 1);
        var model = Pretrained(seed: 4);
        using var before = Snapshot(model);

        new NFNetTrainingEngine(Options(parts, augment: true)).Train(model, train, pretrained: true);

        foreach (var (name, tensor) in model.state_dict())
        {
            if (trainedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                Assert.IsFalse(TensorAssert.AreEqual(before.Values[name], tensor), $"{name} trained");
            else
                TensorAssert.Identical(before.Values[name], tensor, $"{name} frozen");
        }
        return model;
    }

    [TestMethod]
    public void FrozenModulesStayInEvalModeAndTakeNoOptimizerState()
    {
        using var model = Pretrained(seed: 4);
        var split = TrainableParameters.Of(model, new FineTuningSettings(NFNetTrainableParts.LastStages, 2, 1.0));
        split.SetTrainingMode();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        Assert.IsFalse(modules["stem"].training);
        Assert.IsFalse(modules["stages.0"].training);
        Assert.IsFalse(modules["stages.1.0.drop_path"].training, "no stochastic depth in a frozen stage");
        Assert.IsTrue(modules["stages.2"].training);
        Assert.IsTrue(modules["final_conv"].training);
        Assert.IsTrue(modules["head"].training, "dropout in the head");

        var options = new NFNetOptimizerOptions { LearningRate = 0.1, WarmupEpochs = 0, EmaDecay = 0.9 };
        using var headOnly = NFNetOptimizer.Create(model, options, 8, 1, 10, new FineTuningSettings(NFNetTrainableParts.Head, 1, 1.0));
        CollectionAssert.AreEquivalent(new[] { model.Classifier.weight!.Handle, model.Classifier.bias!.Handle },
            headOnly.UpdateRule.parameters().Select(p => p.Handle).ToArray(), "the optimizer holds only the head");
        CollectionAssert.AreEquivalent(new[] { "head.fc.weight", "head.fc.bias" }, headOnly.Ema!.Averages.Keys.ToArray(), "EMA of the head only");
        Assert.IsEmpty(((AgcOptimizer)headOnly.TorchOptimizer).ClippedParameters, "AGC never clips the classifier");

        using var lastTwo = NFNetOptimizer.Create(model, options, 8, 1, 10, new FineTuningSettings(NFNetTrainableParts.LastStages, 2, 1.0));
        var expected = model.named_parameters().Where(np => np.name.StartsWith("stages.2.") || np.name.StartsWith("stages.3.")
            || np.name.StartsWith("final_conv.") || np.name.StartsWith("head.")).Select(np => np.parameter.Handle).ToArray();
        CollectionAssert.AreEquivalent(expected, lastTwo.UpdateRule.parameters().Select(p => p.Handle).ToArray());
        CollectionAssert.AreEquivalent(expected.Except([model.Classifier.weight!.Handle, model.Classifier.bias!.Handle]).ToArray(),
            ((AgcOptimizer)lastTwo.TorchOptimizer).ClippedParameters.Select(p => p.Parameter.Handle).ToArray(), "AGC on the trained backbone");
    }

    [TestMethod]
    public void TheBackboneFactorScalesTheBackboneGroupsOnly()
    {
        using var model = Pretrained(seed: 4);
        using var optimizer = NFNetOptimizer.Create(model, new NFNetOptimizerOptions { LearningRate = 0.2, WarmupEpochs = 0, WeightDecay = 1e-4 },
            8, 10, 10, new FineTuningSettings(NFNetTrainableParts.All, 1, 0.25));
        optimizer.UpdateParameters();

        var groups = optimizer.UpdateRule.ParamGroups.Cast<TorchSharp.Modules.SGD.ParamGroup>().ToArray();
        var head = new[] { model.Classifier.weight!.Handle, model.Classifier.bias!.Handle };
        Assert.HasCount(4, groups, "backbone decayed / not decayed, head decayed / not decayed");
        const double firstRate = 0.2; // no warm-up: step 0 runs at the peak
        foreach (var group in groups)
        {
            var isHead = group.Parameters.All(p => head.Contains(p.Handle));
            Assert.IsTrue(isHead || group.Parameters.All(p => !head.Contains(p.Handle)), "no group mixes backbone and head");
            Assert.AreEqual(firstRate * (isHead ? 1 : 0.25), group.LearningRate, 1e-12);
        }
        Assert.AreEqual(1e-4, groups.Single(g => g.Parameters.Any(p => p.Handle == head[0])).Options.weight_decay);
        Assert.AreEqual(0.0, groups.Single(g => g.Parameters.Any(p => p.Handle == head[1])).Options.weight_decay);
    }

    [TestMethod]
    public void CachedFeaturesTrainTheHeadExactlyAsTheFrozenBackboneDoes()
    {
        var train = SyntheticImages.Create(perClass: 6, classes: 3, size: 32, seed: 1);
        var validation = SyntheticImages.Create(perClass: 2, classes: 3, size: 32, seed: 2);
        var notes = new List<string>();
        using var cached = Pretrained(seed: 4);
        using var direct = Pretrained(seed: 4);

        var withCache = new NFNetTrainingEngine(Options(NFNetTrainableParts.Head, epochs: 3), notes.Add).Train(cached, train, validation, pretrained: true);
        var withoutCache = new NFNetTrainingEngine(Options(NFNetTrainableParts.Head, epochs: 3)) { CacheHeadFeatures = false }.Train(direct, train, validation, pretrained: true);

        Assert.IsTrue(notes.Any(n => n.Contains("computed the backbone's features of 24 images once")), string.Join("\n", notes));
        TensorAssert.Close(direct.Classifier.weight!, cached.Classifier.weight!, 1e-5, "head.fc.weight");
        TensorAssert.Close(direct.Classifier.bias!, cached.Classifier.bias!, 1e-5, "head.fc.bias");
        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.AreEqual(withoutCache.History[epoch].TrainLoss, withCache.History[epoch].TrainLoss, 1e-5, $"epoch {epoch + 1} loss");
            Assert.AreEqual(withoutCache.History[epoch].ValidationLoss!.Value, withCache.History[epoch].ValidationLoss!.Value, 1e-5, "validation");
        }
    }

    [TestMethod]
    public void CachedFeaturesInATempFileTrainTheHeadExactlyAsInMemory()
    {
        var train = SyntheticImages.Create(perClass: 6, classes: 3, size: 32, seed: 1);
        var validation = SyntheticImages.Create(perClass: 2, classes: 3, size: 32, seed: 2);
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var notes = new List<string>();
        var whileTraining = Array.Empty<string>();
        using var inMemory = Pretrained(seed: 4);
        using var inFile = Pretrained(seed: 4);

        var memoryResult = new NFNetTrainingEngine(Options(NFNetTrainableParts.Head, epochs: 3))
            { DataMemory = DataMemoryBudget.Default with { Folder = folder } }.Train(inMemory, train, validation, pretrained: true);
        var fileResult = new NFNetTrainingEngine(Options(NFNetTrainableParts.Head, epochs: 3) with
            { MetricsCallback = _ => whileTraining = LeftoverFiles.In(folder) }, notes.Add)
            { DataMemory = new DataMemoryBudget(EncodedImageBytes: 0, FeatureBytes: 1_000, folder) }.Train(inFile, train, validation, pretrained: true);

        Assert.IsTrue(notes.Any(n => n.Contains($"features of 24 images once (") && n.Contains($"in a temp file in '{folder}'")),
            string.Join("\n", notes));
        Assert.HasCount(1, whileTraining, "the features are in a temp file while training runs");
        Assert.IsEmpty(LeftoverFiles.In(folder), "and it is gone afterwards");
        TensorAssert.Identical(inMemory.Classifier.weight!, inFile.Classifier.weight!, "head.fc.weight");
        TensorAssert.Identical(inMemory.Classifier.bias!, inFile.Classifier.bias!, "head.fc.bias");
        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.AreEqual(memoryResult.History[epoch].TrainLoss, fileResult.History[epoch].TrainLoss, $"epoch {epoch + 1} loss");
            Assert.AreEqual(memoryResult.History[epoch].ValidationLoss, fileResult.History[epoch].ValidationLoss, "validation");
        }
    }

    [TestMethod]
    [DataRow(NFNetTrainableParts.Head, false, DisplayName = "head only, cached features")]
    [DataRow(NFNetTrainableParts.Head, true, DisplayName = "head only, augmented")]
    [DataRow(NFNetTrainableParts.LastStages, true, DisplayName = "last stage")]
    public void ResumingGivesTheUninterruptedResult(NFNetTrainableParts parts, bool augment)
    {
        var train = SyntheticImages.Create(perClass: 6, classes: 3, size: 32, seed: 1);
        var directory = Directory.CreateTempSubdirectory("nfnet-finetune-resume-").FullName;
        try
        {
            var options = Options(parts, epochs: 3, augment) with
            {
                Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 1, EmaDecay = 0.9 },
                CheckpointDirectory = directory,
            };
            using var uninterrupted = Pretrained(seed: 4);
            new NFNetTrainingEngine(options with { CheckpointDirectory = null }).Train(uninterrupted, train, pretrained: true);

            using var interrupted = Pretrained(seed: 4);
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() => new NFNetTrainingEngine(options with
            {
                MetricsCallback = m => { if (m.IsEpochEnd && m.Epoch == 1) stop.Cancel(); },
            }).Train(interrupted, train, pretrained: true, cancellationToken: stop.Token));
            using var resumed = Pretrained(seed: 4);
            var result = new NFNetTrainingEngine(options).Train(resumed, train, pretrained: true, resumeFrom: Path.Combine(directory, "last.nfckpt"));

            Assert.AreEqual(3, result.EpochsCompleted);
            foreach (var (name, tensor) in uninterrupted.state_dict())
                TensorAssert.Identical(tensor, resumed.state_dict()[name], name);

            var other = Assert.ThrowsExactly<InvalidDataException>(() => new NFNetTrainingEngine(options with
            {
                TrainableParts = NFNetTrainableParts.All,
            }).Train(Pretrained(seed: 4), train, pretrained: true, resumeFrom: Path.Combine(directory, "last.nfckpt")));
            StringAssert.Contains(other.Message, "another run");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void FromPretrainedTheAutomaticSettingsAreTheFineTuningDefaults()
    {
        var profile = new DatasetProfile(ImageCount: 150, ClassCount: 5, SmallestClass: 30, LargestClass: 30, MedianWidth: 28,
            MedianHeight: 28, GrayscaleFraction: 1);
        var options = new NFNetTrainingOptions();
        var (scratch, _) = AutomaticSettings.Resolve(options, profile, Network);
        var (fineTuning, choices) = AutomaticSettings.Resolve(options, profile, Network, fromPretrained: true);

        Assert.IsNull(scratch.TrainableParts, "from scratch everything trains; nothing to choose");
        Assert.IsNotNull(fineTuning.TrainableParts);
        Assert.IsNotNull(fineTuning.BackboneLearningRateFactor);
        Assert.AreEqual(scratch.Optimizer.LearningRate, fineTuning.Optimizer.LearningRate, "the from-scratch peak rate: measured better");
        Assert.AreEqual(scratch.Optimizer.ClippingFactor, fineTuning.Optimizer.ClippingFactor, "AGC's λ for the batch, as from scratch");
        Assert.IsLessThan(scratch.Epochs!.Value, fineTuning.Epochs!.Value, "150 images: fewer epochs than from scratch");
        Assert.IsTrue(choices.Any(c => c.StartsWith("TrainableParts = ", StringComparison.Ordinal)), string.Join("\n", choices));
        Assert.AreEqual(0.875, fineTuning.Preprocessing.EvalCropFraction, "evaluation settings are saved resolved");
    }

    [TestMethod]
    [DataRow(50, 28, 150, 0.6, DisplayName = "10 per class of 5, 28 px: capped at 150 epochs (300 steps), the small-image crops")]
    [DataRow(500, 28, 38, 0.6, DisplayName = "100 per class: 16 steps per epoch, 38 epochs")]
    [DataRow(1_000, 64, 19, 0.41, DisplayName = "1,000 images of 64 px: 19 epochs, crops between the small-image and timm's")]
    [DataRow(30_000, 224, 10, 0.08, DisplayName = "30,000 photos: at least 10 epochs, timm's crops")]
    public void FineTuningEpochsAimForAFewHundredStepsAndCropsFollowTheImageSize(int images, int side, int epochs, double cropScaleMin)
    {
        var profile = new DatasetProfile(images, 5, images / 5, images / 5, side, side, 0);
        var (settings, _) = AutomaticSettings.Resolve(new NFNetTrainingOptions(), profile, Network, fromPretrained: true);
        Assert.AreEqual(epochs, settings.Epochs);
        Assert.AreEqual(cropScaleMin, settings.Preprocessing.CropScaleMin);
        Assert.AreEqual(NFNetTrainableParts.All, settings.TrainableParts);
        Assert.AreEqual(0.1, settings.Optimizer.LearningRate);
        Assert.AreEqual(0.04, settings.Optimizer.ClippingFactor, "batch 32: AGC's small-batch λ");
        Assert.AreEqual(Math.Clamp(0.05 * epochs, 0.5, 5), settings.Optimizer.WarmupEpochs!.Value, 1e-9, "warm-up: 5 % of the epochs");
    }

    // A "pretrained" network: random weights with gains and biases moved off their initial values.
    private static NFNetModel Pretrained(int seed)
    {
        manual_seed(seed);
        var model = new NFNetModel(Network, numClasses: 3);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.EndsWith(".gain", StringComparison.Ordinal))
                    // timm starts conv3's gain at 0 without skip gains; a trained network's is not.
                    parameter.mul_(rand_like(parameter).add_(0.5)).add_(rand_like(parameter).mul_(0.8).add_(0.2).mul_(parameter.eq(0)));
        return model;
    }

    private static MLNet.TensorSet Snapshot(NFNetModel model) =>
        new(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
}

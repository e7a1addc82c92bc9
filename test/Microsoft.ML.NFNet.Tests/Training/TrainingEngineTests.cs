using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

[TestClass]
public class TrainingEngineTests
{
    private static NFNetConfig Tiny => TinyConfigs.Light with { Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16, BottleneckRatio = 0.5 };

    private static NFNetTrainingOptions Options(int epochs, int seed = 3) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        Seed = seed,
        LogEveryBatches = 0,
        LabelSmoothing = 0.1,
        Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, RandomResizedCrop = false, CropScaleMin = 0.5 },
        Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 1 },
    };

    [TestMethod]
    public void LearnsASeparableDatasetQuickly()
    {
        var train = SyntheticImages.Create(perClass: 40, classes: 4, size: 32, seed: 1);
        var test = SyntheticImages.Create(perClass: 15, classes: 4, size: 32, seed: 2);
        using var model = new NFNetModel(Tiny, numClasses: 4);
        var reports = new List<TrainingMetrics>();
        var clock = Stopwatch.StartNew();

        var result = new NFNetTrainingEngine(Options(epochs: 6) with { MetricsCallback = reports.Add }).Train(model, train, test);

        Assert.IsTrue(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        Assert.AreEqual(6, result.EpochsCompleted);
        Assert.AreEqual(6, reports.Count(r => r.IsEpochEnd));
        var last = result.History[^1];
        Assert.IsTrue(last.ValidationAccuracy >= 0.95, $"validation accuracy {last.ValidationAccuracy:P1}; history: {string.Join(" | ", result.History)}");
        Assert.IsTrue(last.TrainLoss < result.History[0].TrainLoss, "the loss goes down");
        Assert.IsFalse(model.training, "the model is left in eval mode");
        Assert.IsTrue(result.History.All(h => h.ImagesPerSecond > 0 && h.LearningRate >= 0 && h.ClippedUnitFraction is >= 0 and <= 1));
    }

    [TestMethod]
    public void MicroBatchesTakeTheWholeBatchsSteps()
    {
        // NFNets have no batch normalization: a step whose gradients are summed over micro-batches (5 + 5 + 2 images)
        // is the whole batch's step up to float rounding, and so is the reported loss; the reference is the whole batch.
        var train = SyntheticImages.Create(perClass: 6, classes: 2, size: 32, seed: 11);
        var options = Options(epochs: 2) with { BatchSize = 12 };
        using var whole = NewModel(Tiny, 2, seed: 5);
        var wholeResult = new NFNetTrainingEngine(options).Train(whole, train);
        using var parts = NewModel(Tiny, 2, seed: 5);
        var partsResult = new NFNetTrainingEngine(options with { MicroBatchSize = 5 }).Train(parts, train);

        using var initial = NewModel(Tiny, 2, seed: 5);
        var trained = whole.state_dict();
        foreach (var (name, actual) in parts.state_dict())
            TensorAssert.Close(trained[name], actual, 2e-5, name);
        Assert.IsTrue(trained.Any(p => !p.Value.allclose(initial.state_dict()[p.Key], rtol: 0, atol: 0)), "the steps changed the weights");
        for (var epoch = 0; epoch < 2; epoch++)
            Assert.AreEqual(wholeResult.History[epoch].TrainLoss, partsResult.History[epoch].TrainLoss, 1e-5, $"epoch {epoch + 1}'s loss");
    }

    [TestMethod]
    public void ResumingFromACheckpointGivesTheUninterruptedResult()
    {
        var train = SyntheticImages.Create(perClass: 12, classes: 3, size: 32, seed: 4);
        var directory = Directory.CreateTempSubdirectory("nfnet-resume-").FullName;
        try
        {
            var options = Options(epochs: 3) with
            {
                Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, MixUpAlpha = 0.2, CutMixAlpha = 1.0 },
                Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 1, EmaDecay = 0.99 },
                CheckpointDirectory = directory,
            };
            using var uninterrupted = NewModel(Tiny with { DropRate = 0.2, DropPathRate = 0.1 }, 3, seed: 9);
            new NFNetTrainingEngine(options with { CheckpointDirectory = null }).Train(uninterrupted, train);

            using var interrupted = NewModel(Tiny with { DropRate = 0.2, DropPathRate = 0.1 }, 3, seed: 9);
            using var stop = new CancellationTokenSource();
            var first = new NFNetTrainingEngine(options with { MetricsCallback = m => { if (m.Epoch == 2) stop.Cancel(); } });
            Assert.ThrowsExactly<OperationCanceledException>(() => first.Train(interrupted, train, cancellationToken: stop.Token));

            // A fresh model and engine, as in a new process.
            using var resumed = NewModel(Tiny with { DropRate = 0.2, DropPathRate = 0.1 }, 3, seed: 123);
            var result = new NFNetTrainingEngine(options).Train(resumed, train, resumeFrom: Path.Combine(directory, "last.nfckpt"));

            Assert.AreEqual(3, result.EpochsCompleted, "history includes the epochs before the resume");
            foreach (var (name, expected) in uninterrupted.state_dict())
                TensorAssert.Identical(expected, resumed.state_dict()[name], name);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void CancellationStopsWithinABatchAndLeavesAUsableModel()
    {
        var train = SyntheticImages.Create(perClass: 16, classes: 2, size: 32, seed: 5);
        using var model = NewModel(Tiny, 2, seed: 1);
        using var stop = new CancellationTokenSource();
        var batches = 0;
        var options = Options(epochs: 5) with { BatchSize = 4, LogEveryBatches = 1, MetricsCallback = m => { if (++batches == 2) stop.Cancel(); } };

        Assert.ThrowsExactly<OperationCanceledException>(() => new NFNetTrainingEngine(options).Train(model, train, cancellationToken: stop.Token));

        Assert.AreEqual(2, batches, "no batch report after the cancellation");
        Assert.IsFalse(model.training);
        using var _ = no_grad();
        var logits = model.forward(randn(1, 3, 32, 32));
        Assert.IsTrue(logits.isfinite().all().item<bool>(), "the model still predicts");
    }

    [TestMethod]
    public void DivergenceStopsWithTheStepAndKeepsTheLastCheckpoint()
    {
        var train = SyntheticImages.Create(perClass: 8, classes: 2, size: 32, seed: 6);
        var directory = Directory.CreateTempSubdirectory("nfnet-nan-").FullName;
        try
        {
            using var model = NewModel(Tiny, 2, seed: 1);
            var options = Options(epochs: 50) with
            {
                BatchSize = 4,
                CheckpointDirectory = directory,
                Optimizer = new NFNetOptimizerOptions { LearningRate = 1e12, WarmupEpochs = 0, ClippingFactor = 0 },
            };
            var error = Assert.ThrowsExactly<NonFiniteTrainingException>(() => new NFNetTrainingEngine(options).Train(model, train));
            Assert.IsTrue(error.Step > 0);
            StringAssert.Contains(error.Message, $"step {error.Step}");
            var checkpoint = Path.Combine(directory, "last.nfckpt");
            if (File.Exists(checkpoint))
            {
                using var restored = NewModel(Tiny, 2, seed: 2);
                var resume = new NFNetTrainingEngine(options with { Epochs = 50, Optimizer = options.Optimizer with { LearningRate = 1e-12 } });
                resume.Train(restored, train, resumeFrom: checkpoint); // the kept checkpoint loads and holds finite weights
                Assert.IsTrue(restored.parameters().All(p => p.isfinite().all().item<bool>()));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void EarlyStoppingStopsAndRestoresTheBestEpoch()
    {
        var train = SyntheticImages.Create(perClass: 8, classes: 2, size: 32, seed: 7);
        using var model = NewModel(Tiny, 2, seed: 1);
        // A vanishing learning rate: the validation loss cannot improve by MinDelta after the first epoch.
        var options = Options(epochs: 10) with
        {
            Optimizer = new NFNetOptimizerOptions { LearningRate = 1e-12 },
            EarlyStopping = new EarlyStoppingOptions { Patience = 2, RestoreBestWeights = true },
        };
        var result = new NFNetTrainingEngine(options).Train(model, train, train);
        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(3, result.EpochsCompleted);
        Assert.AreEqual(1, result.SelectedEpoch);
    }

    [TestMethod]
    public void AnUndecodableImageIsNamedOrSkipped()
    {
        var good = SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 8);
        var images = Enumerable.Range(0, good.Count).Select(i => good[i]).ToList();
        images[5] = new LabeledImage(new byte[] { 1, 2, 3, 4 }, images[5].Label);
        var data = new InMemoryImageDataSource(images, 2, i => $"row {i}");
        using var model = NewModel(Tiny, 2, seed: 1);

        var error = Assert.ThrowsExactly<InvalidImageException>(() => new NFNetTrainingEngine(Options(1)).Train(model, data));
        StringAssert.Contains(error.Message, "row 5");

        var result = new NFNetTrainingEngine(Options(2) with { SkipInvalidImages = true }).Train(model, data);
        Assert.AreEqual(1, result.SkippedImages);

        // The same image in the validation set: named, or left out of the validation metrics.
        var validationError = Assert.ThrowsExactly<InvalidImageException>(() => new NFNetTrainingEngine(Options(1)).Train(model, good, data));
        StringAssert.Contains(validationError.Message, "row 5");
        var validated = new NFNetTrainingEngine(Options(1) with { SkipInvalidImages = true }).Train(model, good, data);
        Assert.IsTrue(double.IsFinite(validated.History[0].ValidationLoss!.Value), "validation metrics over the 7 good images");
        Assert.AreEqual(1, validated.SkippedImages, "the skipped validation image is counted");
    }

    [TestMethod]
    public void BadOptionsAreRejectedBeforeTraining()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NFNetTrainingEngine(Options(1) with { BatchSize = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NFNetTrainingEngine(Options(1) with { Epochs = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new NFNetTrainingEngine(Options(1) with { Optimizer = new NFNetOptimizerOptions { LearningRate = -1 } }));
    }

    private static NFNetModel NewModel(NFNetConfig config, int classes, int seed)
    {
        manual_seed(seed);
        return new NFNetModel(config, classes);
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>
/// Issue 13, items 5-7: the checkpoint folder is checked before any work, temporary files an interrupted checkpoint
/// write left behind are removed when a run starts or resumes (and nobody else's), and a damaged checkpoint is one
/// "corrupt or truncated" error naming the file.
/// </summary>
[TestClass]
public class CheckpointReliabilityTests : TempFolderTests
{
    private static readonly InMemoryImageDataSource Train = SyntheticImages.Create(perClass: 3, classes: 2, size: 32, seed: 5);

    private static NFNetTrainingOptions Options(string? checkpoints, List<TrainingMetrics>? reports = null, int epochs = 1) => new()
    {
        Epochs = epochs,
        BatchSize = 6,
        Seed = 3,
        LogEveryBatches = 1,
        CheckpointDirectory = checkpoints,
        MetricsCallback = reports is null ? null : reports.Add,
        Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, RandomResizedCrop = false, CropScaleMin = 1, HorizontalFlipProbability = 0, MixUpAlpha = 0, CutMixAlpha = 0 },
        Optimizer = new NFNetOptimizerOptions { LearningRate = 0.01, WarmupEpochs = 0 },
    };

    [TestMethod]
    public void ACheckpointFolderThatIsAFileFailsBeforeAnyStep()
    {
        var file = folder.File("not-a-folder");
        File.WriteAllText(file, "x");
        AssertRejectedBeforeAnyStep(file);
    }

    [TestMethod]
    public void ACheckpointFolderThatCannotBeCreatedFailsBeforeAnyStep() =>
        AssertRejectedBeforeAnyStep(Path.Combine(WriteFile("plain-file"), "checkpoints"));

    [TestMethod]
    [DataRow("")]
    [DataRow("   ")]
    public void AnEmptyCheckpointFolderIsRejectedWithTheOptions(string directory)
    {
        var engine = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NFNetTrainingEngine(Options(directory)));
        Assert.AreEqual(nameof(NFNetTrainingOptions.CheckpointDirectory), engine.ParamName);
        var trainerOptions = new NFNetImageClassificationTrainer.Options { Training = Options(directory) };
        var trainer = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.NFNet(trainerOptions));
        Assert.AreEqual(nameof(NFNetTrainingOptions.CheckpointDirectory), trainer.ParamName);
    }

    [TestMethod]
    public void StaleTemporaryFilesOfOurNamingAreRemovedWhenARunStartsAndWhenItResumes()
    {
        var checkpoints = Directory.CreateDirectory(folder.File("checkpoints")).FullName;
        var ours = PlantOurs(checkpoints);
        var others = PlantOthers(checkpoints);

        using (var model = NewModel())
            new NFNetTrainingEngine(Options(checkpoints)).Train(model, Train);

        CollectionAssert.AreEquivalent(others.Append("last.nfckpt").ToArray(), Names(checkpoints), "a new run removed only our leftovers");

        ours = PlantOurs(checkpoints);
        using (var model = NewModel())
            new NFNetTrainingEngine(Options(checkpoints, epochs: 2)).Train(model, Train, resumeFrom: Path.Combine(checkpoints, "last.nfckpt"));

        CollectionAssert.AreEquivalent(others.Append("last.nfckpt").ToArray(), Names(checkpoints), "resuming removed them too");
        Assert.IsTrue(ours.All(name => !File.Exists(Path.Combine(checkpoints, name))));
    }

    [TestMethod]
    public void ResumingFromATruncatedCheckpointIsOneCorruptOrTruncatedErrorNamingIt()
    {
        var checkpoints = Directory.CreateDirectory(folder.File("checkpoints")).FullName;
        using (var model = NewModel())
            new NFNetTrainingEngine(Options(checkpoints)).Train(model, Train);
        var path = Path.Combine(checkpoints, "last.nfckpt");
        var bytes = File.ReadAllBytes(path);

        foreach (var (what, damaged) in new[]
                 {
                     ("cut in half", bytes[..(bytes.Length / 2)]),
                     ("cut to 10 bytes", bytes[..10]),
                     ("a flipped bit in the model weights", Flip(bytes, "model.safetensors")),
                     ("a flipped bit in the optimizer state", Flip(bytes, "optimizer.bin")),
                 })
        {
            File.WriteAllBytes(path, damaged);
            using var model = NewModel();
            var e = Assert.ThrowsExactly<InvalidDataException>(
                () => new NFNetTrainingEngine(Options(checkpoints, epochs: 2)).Train(model, Train, resumeFrom: path), what);
            StringAssert.Contains(e.Message, $"checkpoint file '{path}' is corrupt or truncated", what);
        }
    }

    private void AssertRejectedBeforeAnyStep(string directory)
    {
        var reports = new List<TrainingMetrics>();
        using var model = NewModel();

        var e = Assert.ThrowsExactly<ArgumentException>(() => new NFNetTrainingEngine(Options(directory, reports)).Train(model, Train));

        Assert.AreEqual(nameof(NFNetTrainingOptions.CheckpointDirectory), e.ParamName);
        StringAssert.Contains(e.Message, $"NFNetTrainingOptions.CheckpointDirectory '{directory}' cannot be used");
        Assert.AreEqual(0, reports.Count, "no training step ran");
    }

    /// <summary>What a checkpoint write killed at each stage leaves: the zip, its weights and best-weights files, and
    /// the temporary file of the atomic weights write inside it.</summary>
    private static string[] PlantOurs(string directory)
    {
        var guid = Guid.NewGuid().ToString("N");
        string[] names =
        [
            $".last.nfckpt.{guid}.tmp", $".last.nfckpt.{guid}.tmp.weights", $".last.nfckpt.{guid}.tmp.best",
            $"..last.nfckpt.{guid}.tmp.weights.{Guid.NewGuid():N}.tmp",
        ];
        foreach (var name in names)
            File.WriteAllBytes(Path.Combine(directory, name), new byte[1024]);
        return names;
    }

    private static string[] PlantOthers(string directory)
    {
        string[] names = ["notes.tmp", ".last.nfckpt.backup", "last.nfckpt.tmp", "my.last.nfckpt.1234.tmp", ".last.nfckpt.not-a-guid.tmp"];
        foreach (var name in names)
            File.WriteAllText(Path.Combine(directory, name), "keep");
        return names;
    }

    private static string[] Names(string directory) => Directory.GetFiles(directory).Select(Path.GetFileName).ToArray()!;

    private string WriteFile(string name)
    {
        var path = folder.File(name);
        File.WriteAllText(path, "x");
        return path;
    }

    /// <summary>The checkpoint with one bit flipped in the middle of an entry's stored bytes.</summary>
    private static byte[] Flip(byte[] checkpoint, string entry)
    {
        var stored = ZipLayout.Read(checkpoint).Single(e => e.Name == entry);
        var copy = (byte[])checkpoint.Clone();
        copy[stored.DataStart + stored.CompressedLength / 2] ^= 0x08;
        return copy;
    }

    private static NFNetModel NewModel()
    {
        manual_seed(1);
        return new NFNetModel(TinyConfigs.Light, 2);
    }

    [TestMethod]
    public void AScheduleReplannedByTheTimeBudgetIsResumedAsItWas()
    {
        using var model = new NFNetModel(TinyConfigs.Light, 3);
        var options = new NFNetOptimizerOptions { LearningRate = 0.1, WarmupEpochs = 0 };
        using (var shortened = NFNetOptimizer.Create(model, options, batchSize: 4, stepsPerEpoch: 10, totalSteps: 100))
        {
            shortened.PlanTotalSteps(40);
            TrainingCheckpoint.Save(folder.File("last.nfckpt"), model, shortened, null, new TrainingProgress
            {
                Seed = 1, TrainCount = 40, ClassCount = 3, Architecture = model.Config.ToJson(), EpochsCompleted = 0, History = [],
            });
        }

        using var resumed = NFNetOptimizer.Create(model, options, batchSize: 4, stepsPerEpoch: 10, totalSteps: 100);
        TrainingCheckpoint.Load(folder.File("last.nfckpt"), model, resumed, seed: 1, trainCount: 40, TrainingProgress.AllParts);

        Assert.AreEqual(40, resumed.Schedule.TotalSteps, "the learning rate keeps following the shortened cosine");
    }
}

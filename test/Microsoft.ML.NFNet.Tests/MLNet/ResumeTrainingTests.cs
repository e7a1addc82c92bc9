namespace Microsoft.ML.NFNet.Tests.MLNet;

[TestClass]
public class ResumeTrainingTests
{
    [TestMethod]
    public void FitContinuesFromTheLastCheckpointAfterACancellation()
    {
        var directory = Directory.CreateTempSubdirectory("nfnet-mlnet-resume-").FullName;
        try
        {
            var mlContext = new MLContext(seed: 1);
            var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 1));
            var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            using var stop = new CancellationTokenSource();
            var epochs = new List<int>();
            var options = TestImages.FastOptions();
            options.ResumeFromCheckpoint = true;
            options.CancellationToken = stop.Token;
            options.Training = options.Training with
            {
                Epochs = 3,
                CheckpointDirectory = directory,
                MetricsCallback = m =>
                {
                    if (!m.IsEpochEnd) return;
                    epochs.Add(m.Epoch);
                    if (m.Epoch == 1) stop.Cancel();
                },
            };
            Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed));
            Assert.IsTrue(File.Exists(Path.Combine(directory, "last.nfckpt")), "a checkpoint after epoch 1");

            options.CancellationToken = CancellationToken.None;
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed);

            CollectionAssert.AreEqual(new[] { 1, 2, 3 }, epochs, "the second Fit ran only epochs 2 and 3");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void ACheckpointOfAnotherRunIsRejected()
    {
        var directory = Directory.CreateTempSubdirectory("nfnet-mlnet-other-").FullName;
        try
        {
            var mlContext = new MLContext(seed: 1);
            IDataView Keyed(int perClass)
            {
                var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass, seed: 1));
                return mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            }
            var options = TestImages.FastOptions();
            options.Training = options.Training with { Epochs = 1, CheckpointDirectory = directory };
            options.ResumeFromCheckpoint = true;
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(Keyed(perClass: 4));

            options.Training = options.Training with { Epochs = 2 };
            var error = Assert.ThrowsExactly<InvalidDataException>(() =>
                mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(Keyed(perClass: 6)));
            StringAssert.Contains(error.Message, "another run");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void ResumingNeedsACheckpointFolderAndASeed()
    {
        var options = TestImages.FastOptions();
        options.ResumeFromCheckpoint = true;
        options.Training = options.Training with { Seed = null };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.NFNet(options));
        StringAssert.Contains(error.Message, "ResumeFromCheckpoint");
    }
}

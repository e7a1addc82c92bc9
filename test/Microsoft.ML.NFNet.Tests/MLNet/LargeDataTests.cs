using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Issue 22: rows over the memory budget go to a temp file during the one pass over the data view; training on them
/// gives exactly what training in memory gives, the choice is logged, and the file is gone when Fit ends, however it ends.
/// </summary>
[TestClass]
public class LargeDataTests
{
    /// <summary>The rows, calling <paramref name="at"/> when the source reaches row <paramref name="row"/>: a data view
    /// that fails or is cancelled while it is read.</summary>
    private static IEnumerable<ModelInput> Calling(ModelInput[] images, int row, Action at)
    {
        for (var i = 0; i < images.Length; i++)
        {
            if (i == row)
                at();
            yield return images[i];
        }
    }

    [TestMethod]
    public void RowsInATempFileTrainExactlyAsRowsInMemory()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var images = TestImages.Images(perClass: 8, seed: 3);
        var (memoryLog, memoryScores, memoryHistory) = Train(images, DataMemoryBudget.Default with { Folder = folder });
        var (fileLog, fileScores, fileHistory) = Train(images, new DataMemoryBudget(EncodedImageBytes: 2_000, FeatureBytes: 0, folder));

        Assert.IsTrue(memoryLog.Any(l => l.Contains("Automatic: training images in memory (", StringComparison.Ordinal)),
            string.Join("\n", memoryLog));
        Assert.IsTrue(fileLog.Any(l => l.Contains($"Automatic: training images in a temp file in '{folder}'", StringComparison.Ordinal)),
            string.Join("\n", fileLog));
        Assert.HasCount(memoryHistory.Length, fileHistory);
        for (var i = 0; i < memoryHistory.Length; i++)
        {
            Assert.AreEqual(memoryHistory[i].TrainLoss, fileHistory[i].TrainLoss, $"report {i}: training loss");
            Assert.AreEqual(memoryHistory[i].ValidationLoss, fileHistory[i].ValidationLoss, $"report {i}: validation loss");
        }
        for (var i = 0; i < memoryScores.Length; i++)
            CollectionAssert.AreEqual(memoryScores[i], fileScores[i], $"scores of image {i}");
        Assert.IsEmpty(LeftoverFiles.In(folder), "the temp file is deleted when Fit returns");
    }

    [TestMethod]
    public void TheTempFileIsGoneWhenABadRowFailsTraining()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var images = TestImages.Images(perClass: 4, seed: 1);
        images[9].ImageSource = images[9].ImageSource[..40];

        var e = Assert.ThrowsExactly<InvalidImageException>(() => Fit(images, Spilling(folder)));

        StringAssert.Contains(e.Message, "Row 9 ", "the temp file keeps the row numbers");
        Assert.IsEmpty(LeftoverFiles.In(folder));
    }

    [TestMethod]
    public void TheTempFileIsGoneWhenTrainingIsCancelled()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        using var stop = new CancellationTokenSource();
        var whileTraining = Array.Empty<string>();
        var options = Spilling(folder);
        options.CancellationToken = stop.Token;
        options.Training = options.Training with
        {
            LogEveryBatches = 1,
            MetricsCallback = _ =>
            {
                whileTraining = LeftoverFiles.In(folder);
                stop.Cancel();
            },
        };

        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(TestImages.Images(perClass: 4, seed: 1), options));

        Assert.HasCount(1, whileTraining, "the images are in a temp file while training runs");
        Assert.IsEmpty(LeftoverFiles.In(folder));
    }

    [TestMethod]
    public void TheTempFileIsGoneWhenTheDataViewFailsWhileItIsRead()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var images = TestImages.Images(perClass: 150, seed: 1);
        var mlContext = new MLContext(seed: 1);
        var whileReading = Array.Empty<string>();
        var keyed = Streamed(mlContext, Calling(images, row: 400, () =>
        {
            whileReading = WaitForTheTempFile(folder);
            throw new InvalidDataException("The source failed at row 400.");
        }));

        var e = Assert.Throws<Exception>(() => mlContext.MulticlassClassification.Trainers.NFNet(Spilling(folder)).Fit(keyed));

        StringAssert.Contains(e.ToString(), "failed at row 400");
        Assert.HasCount(1, whileReading, "the rows read before went to the temp file");
        Assert.IsEmpty(LeftoverFiles.In(folder), "it is deleted");
    }

    [TestMethod]
    public void TheTempFileIsGoneWhenFitIsCancelledWhileTheDataViewIsRead()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        using var stop = new CancellationTokenSource();
        var whileReading = Array.Empty<string>();
        var images = TestImages.Images(perClass: 400, seed: 1);
        var mlContext = new MLContext(seed: 1);
        var keyed = Streamed(mlContext, Calling(images, row: 500, () =>
        {
            whileReading = WaitForTheTempFile(folder);
            stop.Cancel();
        }));
        var options = Spilling(folder);
        options.CancellationToken = stop.Token;

        // Cancellation is checked every 1,024 rows: rows 0-1,023 are in the temp file when it is seen.
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed));

        Assert.HasCount(1, whileReading, "the rows read before went to the temp file");
        Assert.IsEmpty(LeftoverFiles.In(folder));
    }

    /// <summary>ML.NET reads rows ahead on other threads, so the source may be far ahead of the trainer: the source waits
    /// (at most a minute) until the trainer has stored rows in the temp file, and returns what the folder shows then.</summary>
    private static string[] WaitForTheTempFile(string folder)
    {
        var files = Array.Empty<string>();
        SpinWait.SpinUntil(() => (files = LeftoverFiles.In(folder)).Length > 0, TimeSpan.FromMinutes(1));
        return files;
    }

    private static NFNetImageClassificationTrainer.Options Spilling(string folder)
    {
        var options = TestImages.FastOptions();
        options.DataMemory = new DataMemoryBudget(EncodedImageBytes: 2_000, FeatureBytes: 0, folder);
        return options;
    }

    private static (List<string> Log, float[][] Scores, TrainingMetrics[] History) Train(ModelInput[] images, DataMemoryBudget budget)
    {
        var options = TestImages.FastOptions();
        var history = new List<TrainingMetrics>();
        options.DataMemory = budget;
        options.ValidationSetFraction = 0.25; // the split reads labels only, from the store
        options.Training = options.Training with { LogEveryBatches = 1, MetricsCallback = history.Add };
        var (log, model) = Fit(images, options);
        var mlContext = new MLContext(seed: 1);
        var scores = model.Transform(mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageInput { ImageSource = i.ImageSource })))
            .GetColumn<float[]>("Score").ToArray();
        ((IDisposable)model).Dispose();
        return (log, scores, [.. history]);
    }

    private static (List<string> Log, ITransformer Model) Fit(ModelInput[] images, NFNetImageClassificationTrainer.Options options)
    {
        var mlContext = new MLContext(seed: 1);
        var log = new List<string>();
        mlContext.Log += (_, e) =>
        {
            lock (log)
                log.Add(e.Message);
        };
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(Keyed(mlContext, images));
        return (log, model);
    }

    private static IDataView Keyed(MLContext mlContext, ModelInput[] images) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(mlContext.Data.LoadFromEnumerable(images))
            .Transform(mlContext.Data.LoadFromEnumerable(images));

    // Labels already keys, so the trainer's cursor is the source's own: with a transform in between, ML.NET may read
    // the source ahead on a background thread and hand rows over in batches, so rows before the failing one need not
    // have reached the trainer (and the temp file) when the source fails.
    private static IDataView Streamed(MLContext mlContext, IEnumerable<ModelInput> rows) =>
        mlContext.Data.LoadFromEnumerable(rows.Select(r => new KeyedInput
        {
            Label = (uint)Array.IndexOf(TestImages.Classes, r.Label) + 1,
            ImageSource = r.ImageSource,
        }));

    private sealed class KeyedInput
    {
        [KeyType(3)] // the three TestImages.Classes
        public uint Label { get; set; }

        public byte[] ImageSource { get; set; } = [];
    }
}

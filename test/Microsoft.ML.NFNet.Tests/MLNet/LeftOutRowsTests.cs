namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Issue 13, item 9: rows the trainer leaves out are logged with how many and why, and the counts in the metrics, the
/// result and the saved summary are the ones the log gives; an empty data view says it has no rows.
/// </summary>
[TestClass]
public class LeftOutRowsTests
{
    /// <summary>A row with a numeric label, as a CSV or database source gives it.</summary>
    private sealed class NumericRow
    {
        public float Label { get; set; }
        public byte[] ImageSource { get; set; } = [];
    }

    [TestMethod]
    public void RowsWhoseFloatLabelIsNaNAreCountedInTheLogAndTheSummary()
    {
        var mlContext = new MLContext(seed: 1);
        var log = Capture(mlContext);
        var rows = TestImages.Images(perClass: 4, seed: 1)
            .Select((image, i) => new NumericRow { Label = i is 3 or 8 ? float.NaN : Array.IndexOf(TestImages.Classes, image.Label), ImageSource = image.ImageSource })
            .ToArray();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = TestImages.FastOptions();
        options.Training = options.Training with { Epochs = 1 };

        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed).Model;

        var warning = log.Single(line => line.Contains("Left out"));
        StringAssert.Contains(warning, "Left out 2 of the 12 training rows because their label 'Label' is missing");
        StringAssert.Contains(warning, "NaN");
        Assert.AreEqual(2, model.Training!.DroppedRows);
        Assert.AreEqual(10, model.Training.Data!.ImageCount, "the other rows are trained on");
    }

    [TestMethod]
    public void UndecodableImagesLeftOutAgreeInTheLogTheMetricsAndTheSummary()
    {
        var mlContext = new MLContext(seed: 1);
        var log = Capture(mlContext);
        var images = TestImages.Images(perClass: 4, seed: 1);
        images[2].ImageSource = [1, 2, 3];
        images[7].ImageSource = images[7].ImageSource[..30];
        var data = mlContext.Data.LoadFromEnumerable(images);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var reports = new List<TrainingMetrics>();
        var options = TestImages.FastOptions();
        options.Training = options.Training with { Epochs = 2, SkipInvalidImages = true, LogEveryBatches = 1, MetricsCallback = reports.Add };

        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed).Model;

        Assert.IsTrue(log.Any(line => line.Contains("Left out 2 training image(s) that cannot be decoded")), string.Join("\n", log));
        Assert.IsNotEmpty(reports);
        Assert.IsTrue(reports.All(r => r.SkippedImages == 2), "every progress report counts the 2 images");
        Assert.AreEqual(2, model.Training!.SkippedImages);
        Assert.AreEqual(0, model.Training.DroppedRows);
    }

    [TestMethod]
    public void AnEmptyDataViewSaysItHasNoRows()
    {
        var mlContext = new MLContext(seed: 1);
        // The key mapping fitted on the empty data itself: its key type has no values, so there are "no classes" too.
        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<ModelInput>());
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(empty).Transform(empty);

        var e = Assert.Throws<ArgumentException>(() =>
            mlContext.MulticlassClassification.Trainers.NFNet(TestImages.FastOptions()).Fit(keyed));

        StringAssert.Contains(e.Message, "The training data has no rows.");
        Assert.IsFalse(e.Message.Contains("class(es)"), e.Message);
    }

    private static List<string> Capture(MLContext mlContext)
    {
        var lines = new List<string>();
        mlContext.Log += (_, e) =>
        {
            lock (lines)
                lines.Add(e.Message);
        };
        return lines;
    }
}

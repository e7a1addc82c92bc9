using System.Text.Json;
using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// A model zip written by each format version of this library is checked in with its images and the scores it gave
/// when it was saved: every later build must still load it and predict the same. A new format gets a new folder (the
/// old ones stay): NFNET_REGENERATE_SAVED_MODEL=1 dotnet test --filter SavedModelCompatibility writes the current one.
/// format-1 and format-2 hold ML.NET's MulticlassPredictionTransformer over NFNetModelParameters (formats 1 and 2);
/// transformer-1 holds the batching NFNetPredictionTransformer (format 1) over NFNetModelParameters format 2.
/// </summary>
[TestClass]
public class SavedModelCompatibilityTests
{
    private const string CurrentFormat = "transformer-1";

    private static string FolderOf(string format) => Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", format);

    [TestMethod]
    [DataRow("format-1")]
    [DataRow("format-2")]
    [DataRow("transformer-1")]
    public void AModelSavedByAnEarlierFormatStillLoadsAndPredictsTheSame(string format)
    {
        if (format == CurrentFormat && Environment.GetEnvironmentVariable("NFNET_REGENERATE_SAVED_MODEL") == "1")
            Regenerate(FolderOf(format));
        var folder = FolderOf(format);
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(Path.Combine(folder, "model.zip"), out _);
        var images = Directory.GetFiles(folder, "image-*").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var expected = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(folder, "expected.json")))!;

        var (scores, labels) = TestImages.Score(mlContext, model, images);
        var transformers = ((IEnumerable<ITransformer>)model).ToArray();

        // Earlier zips keep ML.NET's scorer (one row per forward pass); the current one comes back batching.
        if (format == CurrentFormat)
            Assert.HasCount(1, transformers.OfType<NFNetPredictionTransformer>());
        else
            Assert.HasCount(1, transformers.OfType<MulticlassPredictionTransformer<NFNetModelParameters>>());

        CollectionAssert.AreEqual(expected.Labels, labels);
        for (var i = 0; i < images.Length; i++)
            for (var c = 0; c < scores[i].Length; c++)
                Assert.AreEqual(expected.Scores[i][c], scores[i][c], 1e-5f, $"image {i}, class {c}");
    }

    private static void Regenerate(string folder)
    {
        Directory.CreateDirectory(folder);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = TestImages.FastOptions();
        options.Architecture = TinyConfigs.Light; // a small zip
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(keyed);
        mlContext.Model.Save(model, keyed.Schema, Path.Combine(folder, "model.zip"));
        var images = TestImages.Images(perClass: 1, seed: 7).Select(i => i.ImageSource).ToArray();
        for (var i = 0; i < images.Length; i++)
            File.WriteAllBytes(Path.Combine(folder, $"image-{i}.bin"), images[i]);
        var (scores, labels) = TestImages.Score(mlContext, model, images);
        File.WriteAllText(Path.Combine(folder, "expected.json"), JsonSerializer.Serialize(new Expected(scores, labels)));
    }

    private sealed record Expected(float[][] Scores, string[] Labels);
}

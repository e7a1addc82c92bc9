using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// A model zip written by format version 1 of this library is checked in with its images and the scores it gave when
/// it was saved: every later build must still load it and predict the same. Regenerate it only on a deliberate format
/// change (and keep the old folder): NFNET_REGENERATE_SAVED_MODEL=1 dotnet test --filter SavedModelCompatibility.
/// </summary>
[TestClass]
public class SavedModelCompatibilityTests
{
    private static string Folder => Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-1");

    [TestMethod]
    public void AModelSavedByFormatOneStillLoadsAndPredictsTheSame()
    {
        if (Environment.GetEnvironmentVariable("NFNET_REGENERATE_SAVED_MODEL") == "1")
            Regenerate();
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(Path.Combine(Folder, "model.zip"), out _);
        var images = Directory.GetFiles(Folder, "image-*").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var expected = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Folder, "expected.json")))!;

        var (scores, labels) = TestImages.Score(mlContext, model, images);

        CollectionAssert.AreEqual(expected.Labels, labels);
        for (var i = 0; i < images.Length; i++)
            for (var c = 0; c < scores[i].Length; c++)
                Assert.AreEqual(expected.Scores[i][c], scores[i][c], 1e-5f, $"image {i}, class {c}");
    }

    private static void Regenerate()
    {
        Directory.CreateDirectory(Folder);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = TestImages.FastOptions();
        options.Architecture = TinyConfigs.Light; // a small zip
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(keyed);
        mlContext.Model.Save(model, keyed.Schema, Path.Combine(Folder, "model.zip"));
        var images = TestImages.Images(perClass: 1, seed: 7).Select(i => i.ImageSource).ToArray();
        for (var i = 0; i < images.Length; i++)
            File.WriteAllBytes(Path.Combine(Folder, $"image-{i}.bin"), images[i]);
        var (scores, labels) = TestImages.Score(mlContext, model, images);
        File.WriteAllText(Path.Combine(Folder, "expected.json"), JsonSerializer.Serialize(new Expected(scores, labels)));
    }

    private sealed record Expected(float[][] Scores, string[] Labels);
}

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// The guard rail for the internals route: a model saved here loads and scores identically in a fresh process that
/// never mentions this library, which ML.NET loads by itself from the assembly name stored in the model file.
/// </summary>
[TestClass]
public class SeparateProcessLoadTests
{
    private const string LibraryAssembly = "Microsoft.ML.NFNet";

    [TestMethod]
    public void SavedModelLoadsAndScoresBitIdenticallyInAFreshProcess()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out var trainingSchema);
        var images = TestImages.Images(perClass: 2, seed: 7).Select(i => i.ImageSource).ToArray();
        var expected = TestImages.Score(mlContext, model, images);

        var dir = Directory.CreateTempSubdirectory("nfnet-loadcheck-");
        try
        {
            var modelPath = Path.Combine(dir.FullName, "model.zip");
            mlContext.Model.Save(model, trainingSchema, modelPath);
            var rowFiles = images.Select((bytes, i) =>
            {
                var path = Path.Combine(dir.FullName, $"row{i}.bin");
                File.WriteAllBytes(path, bytes);
                return path;
            }).ToArray();

            var report = LoadCheckProcess.Run(modelPath, nameof(ImageInput.ImageSource), rowFiles);

            CollectionAssert.DoesNotContain(report.LoadedBeforeModelLoad, LibraryAssembly);
            CollectionAssert.Contains(report.LoadedAfterModelLoad, LibraryAssembly);
            CollectionAssert.Contains(report.TransformerTypes, nameof(NFNetPredictionTransformer), "the batching transformer comes back");
            CollectionAssert.AreEqual(TestImages.Classes, report.ScoreSlotNames);
            Assert.HasCount(expected.Scores.Length, report.Scores);
            for (var row = 0; row < expected.Scores.Length; row++)
                CollectionAssert.AreEqual(Bits(expected.Scores[row]), Bits(report.Scores[row]), $"row {row}: scores differ");
            CollectionAssert.AreEqual(expected.PredictedLabels, report.PredictedLabels);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}

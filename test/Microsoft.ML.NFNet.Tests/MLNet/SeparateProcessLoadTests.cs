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
        var model = ScaffoldModel.Train(mlContext, out var trainingSchema);
        var images = ScaffoldModel.Images(perClass: 3, seed: 7).Select(i => i.Image).ToArray();
        var expected = ScaffoldModel.Score(mlContext, model, images);

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

            var report = LoadCheckProcess.Run(modelPath, "Image", rowFiles);

            CollectionAssert.DoesNotContain(report.LoadedBeforeModelLoad, LibraryAssembly);
            CollectionAssert.Contains(report.LoadedAfterModelLoad, LibraryAssembly);
            CollectionAssert.AreEqual(ScaffoldModel.Classes, report.ScoreSlotNames);
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

using Microsoft.ML.Data;
using Microsoft.ML.NFNet.Tests.MLNet;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>
/// A model trained through ML.NET, exported, and scored in an ML.NET pipeline by <c>ApplyOnnxModel</c> on images
/// preprocessed as the file's metadata says: the same probabilities as the trained NFNet transformer gives.
/// </summary>
[TestClass]
public class OnnxTransformerPipelineTests
{
    private const int ImageSize = 32; // TestImages.FastOptions trains and scores at 32 px

    private sealed class OnnxInput
    {
        [VectorType(3 * ImageSize * ImageSize)]
        [ColumnName(NFNetOnnxExporter.InputName)]
        public float[] Input { get; set; } = [];
    }

    private static MLContext mlContext = null!;
    private static ITransformer trained = null!;
    private static TemporaryFolder folder = null!;
    private static string path = null!;
    private static byte[][] images = [];
    private static float[][] expected = [];

    [ClassInitialize]
    public static void TrainAndExport(TestContext context)
    {
        mlContext = new MLContext(seed: 1);
        trained = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(trained);
        folder = ExportTestModels.TemporaryFolder();
        path = folder.File("model.onnx");
        parameters.Model.ExportOnnx(path, new NFNetOnnxExportOptions { Preprocessing = parameters.Preprocessing, LabelNames = TestImages.Classes });
        images = TestImages.Images(perClass: 2, seed: 7).Select(i => i.ImageSource).ToArray();
        expected = TestImages.Score(mlContext, trained, images).Scores;
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        (trained as IDisposable)?.Dispose();
        folder?.Dispose();
    }

    [TestMethod]
    public void ApplyOnnxModelScoresLikeTheTrainedModel()
    {
        // A consumer's view: the preprocessing comes from the ONNX file, not from the trained model.
        var metadata = ReadMetadata(path);
        var batcher = new ImageBatcher(NFNetOnnxMetadata.ReadPreprocessing(metadata).ToImagePreprocessingOptions());
        using var batch = batcher.CreateEvaluationBatch(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray());
        var pixels = batch.contiguous().data<float>().ToArray();
        var rowLength = 3 * ImageSize * ImageSize;
        var rows = Enumerable.Range(0, images.Length).Select(i => new OnnxInput { Input = pixels[(i * rowLength)..((i + 1) * rowLength)] });

        var data = mlContext.Data.LoadFromEnumerable(rows);
        var pipeline = mlContext.Transforms.ApplyOnnxModel(
            outputColumnNames: [NFNetOnnxExporter.ProbabilitiesName], inputColumnNames: [NFNetOnnxExporter.InputName], modelFile: path);
        using var onnxModel = pipeline.Fit(data);
        var actual = onnxModel.Transform(data).GetColumn<float[]>(NFNetOnnxExporter.ProbabilitiesName).ToArray();

        Assert.AreEqual(images.Length, actual.Length);
        var predictedClasses = new HashSet<int>();
        for (var i = 0; i < images.Length; i++)
        {
            Assert.AreEqual(TestImages.Classes.Length, actual[i].Length);
            var maxDiff = expected[i].Zip(actual[i], (e, a) => Math.Abs(e - a)).Max();
            Assert.IsTrue(maxDiff <= 1e-4, $"image {i}: max |ONNX − NFNet| = {maxDiff:E3}");
            predictedClasses.Add(Array.IndexOf(actual[i], actual[i].Max()));
        }
        Assert.IsTrue(predictedClasses.Count > 1, "the trained model tells the classes apart, so the comparison is not of constant outputs");
        CollectionAssert.AreEqual(TestImages.Classes, NFNetOnnxMetadata.ReadLabels(metadata)!.ToArray());
    }

    [TestMethod]
    public void ReadmeSnippetPredictsTheTrainedModelsLabels()
    {
        // The snippet resizes with SkiaSharp, not our PIL-exact resampler, so its pixels (and probabilities) differ a
        // little; the labels it ranks first must still be the model's.
        for (var i = 0; i < images.Length; i++)
        {
            var imagePath = folder.File($"image-{i}.bin");
            File.WriteAllBytes(imagePath, images[i]);
            var top = ReadmeOnnxSnippet.Predict(path, imagePath);
            var expectedTop = Array.IndexOf(expected[i], expected[i].Max());
            Assert.AreEqual(TestImages.Classes[expectedTop], top[0].Label, $"image {i}");
            Assert.AreEqual(expected[i][expectedTop], top[0].Probability, 0.05, $"image {i}: top probability");
        }
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        return new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap);
    }
}

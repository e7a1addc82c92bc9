using Microsoft.ML.NFNet.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary><c>NFNetModelParameters.ExportOnnx</c>: a trained model's ONNX file carries its preprocessing and labels, and
/// ONNX Runtime fed with that preprocessing gives the probabilities ML.NET's Transform gives.</summary>
[TestClass]
public class ModelParametersOnnxExportTests
{
    [TestMethod]
    public void ATrainedModelExportsWithItsPreprocessingAndLabelsAndScoresTheSameInOnnxRuntime()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        var images = TestImages.Images(perClass: 3, seed: 4).Select(i => i.ImageSource).ToArray();
        var expected = TestImages.Score(mlContext, model, images).Scores;
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");

        parameters.ExportOnnx(path);

        using var onnx = new OnnxRuntimeScorer(path);
        var map = onnx.Session.ModelMetadata.CustomMetadataMap;
        var preprocessing = NFNetOnnxMetadata.ReadPreprocessing(map);
        // What a consumer does: rebuild the input from the metadata alone.
        using var input = new ImageBatcher(preprocessing.ToImagePreprocessingOptions())
            .CreateEvaluationBatch(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray());
        var probabilities = onnx.Run(input)[NFNetOnnxExporter.ProbabilitiesName];

        CollectionAssert.AreEqual(TestImages.Classes, NFNetOnnxMetadata.ReadLabels(map)!.ToArray());
        Assert.AreEqual(parameters.Preprocessing.ScoringSize, preprocessing.InputHeight);
        Assert.AreEqual(parameters.Preprocessing.EvalCropFraction, preprocessing.CropFraction);
        for (var i = 0; i < images.Length; i++)
            for (var c = 0; c < 3; c++)
                Assert.AreEqual(expected[i][c], probabilities[i, c].item<float>(), 1e-4f, $"image {i}, class {c}");
    }

    [TestMethod]
    public void ExplicitOptionsWinAndADisposedModelCannotBeExported()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");

        parameters.ExportOnnx(path, new NFNetOnnxExportOptions { InputHeight = 48, InputWidth = 64, LabelNames = ["r", "g", "b"] });
        using (var onnx = new OnnxRuntimeScorer(path))
        {
            CollectionAssert.AreEqual(new[] { -1, 3, 48, 64 }, onnx.Session.InputMetadata[NFNetOnnxExporter.InputName].Dimensions);
            CollectionAssert.AreEqual(new[] { "r", "g", "b" }, NFNetOnnxMetadata.ReadLabels(onnx.Session.ModelMetadata.CustomMetadataMap)!.ToArray());
        }
        parameters.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => parameters.ExportOnnx(folder.File("after.onnx")));
        Assert.IsFalse(File.Exists(folder.File("after.onnx")));
    }
}

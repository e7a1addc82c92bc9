
namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>What the exported file declares: opset, IR version, dynamic axes, outputs, metadata.</summary>
[TestClass]
public class OnnxModelFileTests
{
    [TestMethod]
    public void DeclaresOpsetDynamicBatchAndOutputs()
    {
        using var model = ExportTestModels.Random(TinyConfigs.Light, classes: 6, seed: 21);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { InputHeight = 96, InputWidth = 64 });

        var onnx = OnnxModelFile.Read(path);
        Assert.AreEqual(1, onnx.OpsetImport.Count);
        Assert.AreEqual("", onnx.OpsetImport[0].Domain, "only the standard operator domain");
        Assert.AreEqual(17L, onnx.OpsetImport[0].Version);
        Assert.AreEqual(8L, onnx.IrVersion, "ONNX 1.12, which introduced opset 17, writes IR version 8");
        Assert.AreEqual(NFNetOnnxExporter.ProducerName, onnx.ProducerName);
        Assert.IsFalse(string.IsNullOrEmpty(onnx.ProducerVersion));
        Assert.IsFalse(onnx.Graph.Node.Any(n => n.OpType.Contains("Norm") || n.Domain != ""),
            "plain standard operators only: the weight standardization is folded into the Conv weights");

        using var scorer = new OnnxRuntimeScorer(path);
        var input = scorer.Session.InputMetadata[NFNetOnnxExporter.InputName];
        CollectionAssert.AreEqual(new[] { -1, 3, 96, 64 }, input.Dimensions, "dynamic batch, fixed image size");
        Assert.AreEqual("batch", input.SymbolicDimensions[0]);
        Assert.AreEqual(typeof(float), input.ElementType);
        CollectionAssert.AreEqual(new[] { NFNetOnnxExporter.ProbabilitiesName, NFNetOnnxExporter.FeaturesName }, scorer.Session.OutputNames.ToArray());
        CollectionAssert.AreEqual(new[] { -1, 6 }, scorer.Session.OutputMetadata[NFNetOnnxExporter.ProbabilitiesName].Dimensions);
        CollectionAssert.AreEqual(new[] { -1, model.NumFeatures }, scorer.Session.OutputMetadata[NFNetOnnxExporter.FeaturesName].Dimensions);

        // Any batch size runs, and each row is a probability distribution.
        var outputs = scorer.Run(ExportTestModels.Images(3, 96, 64, seed: 4));
        var probabilities = outputs[NFNetOnnxExporter.ProbabilitiesName];
        CollectionAssert.AreEqual(new long[] { 3, 6 }, probabilities.shape);
        TensorAssert.Close(TorchSharp.torch.ones(3), probabilities.sum(1), 1e-5, "row sums");
    }

    [TestMethod]
    [DataRow(NFNetOnnxExportOptions.MinimumOpset, 8L)]
    [DataRow(NFNetOnnxExportOptions.MaximumOpset, 10L)]
    public void EverySupportedOpsetLoadsAndScoresTheSame(int opset, long irVersion)
    {
        using var model = ExportTestModels.Random(TinyConfigs.DeepMind, classes: 3, seed: 22);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { Opset = opset, InputHeight = 64, InputWidth = 64 });

        var onnx = OnnxModelFile.Read(path);
        Assert.AreEqual((long)opset, onnx.OpsetImport.Single().Version);
        Assert.AreEqual(irVersion, onnx.IrVersion);
        using var scorer = new OnnxRuntimeScorer(path);
        var images = ExportTestModels.Images(2, 64, 64, seed: 5);
        TensorAssert.Close(ExportTestModels.Score(model, images).Probabilities, scorer.Run(images)[NFNetOnnxExporter.ProbabilitiesName], 1e-4, $"opset {opset}");
    }

    [TestMethod]
    public void WithoutFeaturesHasOnlyProbabilities()
    {
        using var model = ExportTestModels.Random(TinyConfigs.Light, classes: 2, seed: 23);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { IncludeFeatures = false, InputHeight = 32, InputWidth = 32 });
        using var scorer = new OnnxRuntimeScorer(path);
        CollectionAssert.AreEqual(new[] { NFNetOnnxExporter.ProbabilitiesName }, scorer.Session.OutputNames.ToArray());
    }

    [TestMethod]
    public void DynamicImageSizeScoresSeveralSizesFromOneFile()
    {
        using var model = ExportTestModels.Random(TinyConfigs.DeepMind, classes: 4, seed: 24);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { DynamicImageSize = true });
        using var scorer = new OnnxRuntimeScorer(path);
        var input = scorer.Session.InputMetadata[NFNetOnnxExporter.InputName];
        CollectionAssert.AreEqual(new[] { "batch", "", "height", "width" }, input.SymbolicDimensions);
        // Odd sizes exercise SAME padding's extra bottom/right pixel and the ceil-mode pool's partial windows.
        foreach (var (height, width) in new[] { (64, 64), (33, 95), (97, 41) })
        {
            var images = ExportTestModels.Images(2, height, width, seed: height);
            TensorAssert.Close(ExportTestModels.Score(model, images).Probabilities, scorer.Run(images)[NFNetOnnxExporter.ProbabilitiesName],
                1e-4, $"{height}×{width}");
        }
    }

    [TestMethod]
    public void MetadataRoundTripsThroughOnnxRuntime()
    {
        using var model = ExportTestModels.Random(TinyConfigs.Light, classes: 3, seed: 25);
        var preprocessing = new ImagePreprocessingOptions
        {
            ImageSize = 48, EvalCropFraction = 0.9, EvalResizeMode = EvalResizeMode.Squash, Interpolation = ImageInterpolation.Bilinear,
            Mean = [0.5, 0.25, 0.125], Std = [0.2, 0.3, 0.4],
        };
        string[] labels = ["cat", "dög \"quoted\"", "日本"];
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { Preprocessing = preprocessing, LabelNames = labels });

        using var scorer = new OnnxRuntimeScorer(path);
        var metadata = scorer.Session.ModelMetadata;
        Assert.AreEqual(NFNetOnnxExporter.ProducerName, metadata.ProducerName);
        var map = metadata.CustomMetadataMap;
        CollectionAssert.AreEqual(labels, NFNetOnnxMetadata.ReadLabels(map)!.ToArray());
        Assert.AreEqual("tiny-eca", map[NFNetOnnxMetadata.ArchitectureKey]);
        Assert.AreEqual(model.Config, NFNetConfig.FromJson(map[NFNetOnnxMetadata.ConfigKey]));

        var read = NFNetOnnxMetadata.ReadPreprocessing(map);
        Assert.AreEqual(48, read.InputHeight, "the input size defaults to the preprocessing's image size");
        Assert.AreEqual(48, read.InputWidth);
        Assert.AreEqual(53, read.ResizeSize, "floor(48 / 0.9)");
        Assert.AreEqual("squash", read.ResizeMode);
        Assert.AreEqual("bilinear", read.Interpolation);
        CollectionAssert.AreEqual(new[] { 0.5, 0.25, 0.125 }, read.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 0.2, 0.3, 0.4 }, read.Std.ToArray());
        CollectionAssert.AreEqual(new[] { -1, 3, 48, 48 }, scorer.Session.InputMetadata[NFNetOnnxExporter.InputName].Dimensions);
        // The evaluation settings come back as they went in.
        Assert.AreEqual(preprocessing, read.ToImagePreprocessingOptions());

        // The JSON uses the documented snake_case names, for consumers in other languages.
        StringAssert.Contains(map[NFNetOnnxMetadata.PreprocessingKey], "\"crop_fraction\":0.9");
        StringAssert.Contains(map[NFNetOnnxMetadata.PreprocessingKey], "\"layout\":\"NCHW\"");
    }

    [TestMethod]
    public void WithoutLabelsOrPreprocessingRecordsDefaults()
    {
        using var model = ExportTestModels.Random(TinyConfigs.Light, classes: 3, seed: 26);
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        model.ExportOnnx(path, new NFNetOnnxExportOptions { InputHeight = 64, InputWidth = 64 });
        using var scorer = new OnnxRuntimeScorer(path);
        var map = scorer.Session.ModelMetadata.CustomMetadataMap;
        Assert.IsNull(NFNetOnnxMetadata.ReadLabels(map));
        // The metadata states the values the model expects: ImageNet's where the options left them null.
        Assert.AreEqual(new ImagePreprocessingOptions { ImageSize = 64 }.WithEvaluationDefaults(),
            NFNetOnnxMetadata.ReadPreprocessing(map).ToImagePreprocessingOptions());
    }
}

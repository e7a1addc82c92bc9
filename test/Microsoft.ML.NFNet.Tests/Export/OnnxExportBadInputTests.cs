using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>Bad export requests fail before anything is written, with a message that names the problem.</summary>
[TestClass]
public class OnnxExportBadInputTests
{
    private static NFNetModel? model;

    [ClassInitialize]
    public static void CreateModel(TestContext _) => model = ExportTestModels.Random(TinyConfigs.Light, classes: 3, seed: 31);

    [ClassCleanup]
    public static void DisposeModel() => model?.Dispose();

    [TestMethod]
    [DataRow(16, "Opset")]
    [DataRow(NFNetOnnxExportOptions.MaximumOpset + 1, "Opset")]
    public void UnsupportedOpset(int opset, string option) =>
        AssertRejected(new NFNetOnnxExportOptions { Opset = opset }, option, $"{opset} is not supported");

    [TestMethod]
    public void ImageSmallerThanTheNetworkStride() =>
        AssertRejected(new NFNetOnnxExportOptions { InputHeight = 31, InputWidth = 64 }, "InputHeight", "smaller than the tiny-eca network's total stride (32 px)");

    [TestMethod]
    public void WrongNumberOfLabels() =>
        AssertRejected(new NFNetOnnxExportOptions { LabelNames = ["a", "b"] }, "LabelNames", "2 names were given but the model has 3 classes");

    [TestMethod]
    public void NullLabel() =>
        AssertRejected(new NFNetOnnxExportOptions { LabelNames = ["a", null!, "c"] }, "LabelNames", "class 1 is null");

    [TestMethod]
    public void InvalidPreprocessing() =>
        AssertRejected(new NFNetOnnxExportOptions { Preprocessing = new ImagePreprocessingOptions { Std = [0.2, 0, 0.2] } }, "Preprocessing", "Std");

    [TestMethod]
    public void MissingFolder()
    {
        using var folder = ExportTestModels.TemporaryFolder();
        var path = Path.Combine(folder.Path, "no-such-folder", "model.onnx");
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => model!.ExportOnnx(path));
        StringAssert.Contains(e.Message, "no-such-folder");
    }

    [TestMethod]
    public void MetaDeviceModelHasNoWeights()
    {
        using var meta = new NFNetModel(TinyConfigs.Light, 3, META);
        using var folder = ExportTestModels.TemporaryFolder();
        var e = Assert.ThrowsExactly<ArgumentException>(() => meta.ExportOnnx(folder.File("model.onnx")));
        StringAssert.Contains(e.Message, "meta device");
        Assert.AreEqual(0, Directory.GetFiles(folder.Path).Length);
    }

    [TestMethod]
    public void WeightsOverTwoGibibytes()
    {
        // F5+ has 626 M parameters (2.3 GiB of float32); built on the meta device, so the check must come before any copy.
        using var huge = new NFNetModel(NFNetConfig.Variant("F5+"), 1000, META);
        using var folder = ExportTestModels.TemporaryFolder();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => huge.ExportOnnx(folder.File("model.onnx")));
        StringAssert.Contains(e.Message, "2389 MiB");
        StringAssert.Contains(e.Message, "2 GiB");
        Assert.AreEqual(0, Directory.GetFiles(folder.Path).Length);
    }

    [TestMethod]
    public void FailedExportKeepsTheExistingFile()
    {
        using var folder = ExportTestModels.TemporaryFolder();
        var path = folder.File("model.onnx");
        File.WriteAllText(path, "previous");
        Assert.ThrowsExactly<ArgumentException>(() => model!.ExportOnnx(path, new NFNetOnnxExportOptions { Opset = 9 }));
        Assert.AreEqual("previous", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder.Path), "no temporary file is left behind");
    }

    [TestMethod]
    public void MalformedMetadataIsReportedByKey()
    {
        var bad = new Dictionary<string, string> { [NFNetOnnxMetadata.LabelsKey] = "{not json", [NFNetOnnxMetadata.PreprocessingKey] = "{\"resize_mode\":\"zoom\",\"mean\":[0,0,0],\"std\":[1,1,1],\"image_size\":32,\"crop_fraction\":1}" };
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => NFNetOnnxMetadata.ReadLabels(bad)).Message, NFNetOnnxMetadata.LabelsKey);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => NFNetOnnxMetadata.ReadPreprocessing(bad).ToImagePreprocessingOptions()).Message, "zoom");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => NFNetOnnxMetadata.ReadPreprocessing(new Dictionary<string, string>())).Message,
            NFNetOnnxMetadata.PreprocessingKey);
    }

    private static void AssertRejected(NFNetOnnxExportOptions options, string option, string message)
    {
        using var folder = ExportTestModels.TemporaryFolder();
        var e = Assert.ThrowsExactly<ArgumentException>(() => model!.ExportOnnx(folder.File("model.onnx"), options));
        Assert.AreEqual(option, e.ParamName);
        StringAssert.Contains(e.Message, message);
        Assert.AreEqual(0, Directory.GetFiles(folder.Path).Length, "nothing is written");
    }
}

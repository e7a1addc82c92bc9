using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>The README's first screen: <c>PretrainedWeights = "eca_nfnet_l0.ra2_in1k"</c> downloads timm's file from the
/// hub (here a fake hub on 127.0.0.1 serving an eca_nfnet_l0-shaped file), then trains with the catalog's settings.</summary>
[TestClass]
public class PretrainedCatalogTests
{
    [TestMethod]
    public async Task APublishedNameIsDownloadedOnceAndFineTunedWithItsConfiguration()
    {
        using var folder = new TempFolder();
        var file = folder.File("eca_nfnet_l0.safetensors");
        manual_seed(3);
        using (var published = new NFNetModel(NFNetConfig.Variant("eca_nfnet_l0"), numClasses: 1000))
            published.SaveWeights(file);
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile("timm/eca_nfnet_l0.ra2_in1k", "model.safetensors", File.ReadAllBytes(file));
        var cache = Directory.CreateDirectory(folder.File("hub")).FullName;
        var mlContext = new MLContext(seed: 1);
        var messages = PretrainedWeightsTests.Log(mlContext);
        var options = PretrainedTestFiles.FineTune("eca_nfnet_l0.ra2_in1k", NFNetTrainableParts.Head, epochs: 1);
        options.PretrainedWeightsDownload = new HubDownloadOptions { Endpoint = hub.Endpoint.AbsoluteUri, CacheDirectory = cache, Token = "", Offline = false };
        // 32 px keeps a 24 M-parameter network quick on a CPU; the catalog's 224 / 288 px apply when ImageSize is left null.
        options.Training = options.Training with { Preprocessing = new() { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0 } };

        var parameters = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)).Model;

        Assert.AreEqual(NFNetConfig.Variant("eca_nfnet_l0"), parameters.Architecture, "from the catalog");
        Assert.AreEqual(3, parameters.ClassCount, "a new head for the data's classes");
        Assert.AreEqual(0.9, parameters.Preprocessing.EvalCropFraction, "crop_pct at the training size (test_crop_pct belongs to 288 px)");
        Assert.AreEqual(ImageInterpolation.Bicubic, parameters.Preprocessing.Interpolation);
        Assert.IsNull(parameters.Preprocessing.EvalImageSize, "a user-chosen size scores at that size");
        Assert.IsTrue(messages.Any(m => m.Contains("Downloading the pretrained weights eca_nfnet_l0.ra2_in1k")), "the download is logged");
        Assert.IsTrue(messages.Any(m => m.Contains("Downloading eca_nfnet_l0.ra2_in1k:") && m.Contains("(100 %)")), "with its progress");
        Assert.AreEqual(1, hub.Gets.Count(), "one download");
        using var loaded = new TensorSet(Safetensors.Load(file));
        TensorAssert.Identical(loaded.Values["stages.2.3.conv2.weight"], parameters.Model.state_dict()["stages.2.3.conv2.weight"], "the served weights");
        Assert.IsNotNull(new HubFileDownloader(options.PretrainedWeightsDownload).TryGetCached("timm/eca_nfnet_l0.ra2_in1k", "model.safetensors"),
            "cached for the next run (and for Python)");
        parameters.Model.Dispose();
    }
}

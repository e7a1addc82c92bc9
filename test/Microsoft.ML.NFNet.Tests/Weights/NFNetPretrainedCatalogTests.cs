using System.Text.Json;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>The catalog against timm's own files, and every entry's architecture against timm's parameter counts.</summary>
[TestClass]
public sealed class NFNetPretrainedCatalogTests
{
    /// <summary>
    /// Read from huggingface/pytorch-image-models at commit aa4b5850c1543fa488abf260f18390eda46cf85d:
    /// timm/models/nfnet.py default_cfgs (input_size, test_input_size, crop_pct, test_crop_pct, crop_mode) and
    /// results/results-imagenet.csv (top-1 at the test size, then at the train size).
    /// </summary>
    private static readonly (string Name, int Train, int Test, double CropPct, double? TestCropPct, string CropMode, double Top1Test, double Top1Train)[] Timm =
    [
        ("dm_nfnet_f0.dm_in1k", 192, 256, 0.9, null, "squash", 83.468, 81.436),
        ("dm_nfnet_f1.dm_in1k", 224, 320, 0.91, null, "squash", 84.700, 83.444),
        ("dm_nfnet_f2.dm_in1k", 256, 352, 0.92, null, "squash", 85.184, 84.100),
        ("dm_nfnet_f3.dm_in1k", 320, 416, 0.94, null, "squash", 85.676, 85.092),
        ("dm_nfnet_f4.dm_in1k", 384, 512, 0.951, null, "squash", 85.838, 85.514),
        ("dm_nfnet_f5.dm_in1k", 416, 544, 0.954, null, "squash", 86.102, 85.712),
        ("dm_nfnet_f6.dm_in1k", 448, 576, 0.956, null, "squash", 86.364, 86.156),
        ("nfnet_l0.ra2_in1k", 224, 288, 0.9, 1.0, "center", 82.766, 81.870),
        ("eca_nfnet_l0.ra2_in1k", 224, 288, 0.9, 1.0, "center", 82.590, 81.762),
        ("eca_nfnet_l1.ra2_in1k", 256, 320, 0.9, 1.0, "center", 84.062, 83.264),
        ("eca_nfnet_l2.ra3_in1k", 320, 384, 0.9, 1.0, "center", 84.710, 84.170),
    ];

    public static IEnumerable<object[]> Names() => Timm.Select(t => new object[] { t.Name });

    [TestMethod]
    public void CatalogHasOneEntryPerPublishedFile()
    {
        CollectionAssert.AreEqual(Timm.Select(t => t.Name).ToArray(), NFNetPretrained.All.Select(w => w.Name).ToArray());
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void EntryMatchesTimmsPretrainedConfig(string name)
    {
        var timm = Timm.Single(t => t.Name == name);
        var weights = NFNetPretrained.Find(name);

        Assert.AreEqual("timm/" + name, weights.HubRepository);
        Assert.AreEqual("model.safetensors", weights.FileName);
        Assert.AreEqual(timm.Train, weights.TrainImageSize);
        Assert.AreEqual(timm.Test, weights.TestImageSize);
        Assert.AreEqual(timm.CropPct, weights.CropFraction);
        Assert.AreEqual(timm.TestCropPct, weights.TestCropFraction);
        Assert.AreEqual(timm.CropMode == "squash" ? EvalResizeMode.Squash : EvalResizeMode.ShorterSide, weights.CropMode);
        Assert.AreEqual(ImageInterpolation.Bicubic, weights.Interpolation);
        CollectionAssert.AreEqual(new[] { 0.485, 0.456, 0.406 }, weights.Mean.ToArray(), "IMAGENET_DEFAULT_MEAN");
        CollectionAssert.AreEqual(new[] { 0.229, 0.224, 0.225 }, weights.Std.ToArray(), "IMAGENET_DEFAULT_STD");
        Assert.AreEqual(1000, weights.ClassCount);
        Assert.AreEqual(timm.Top1Test, weights.ImageNetTop1);
        Assert.AreEqual(timm.Top1Train, weights.ImageNetTop1AtTrainSize);
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void ArchitectureBuildsWithTimmsParameterCount(string name)
    {
        var weights = NFNetPretrained.Find(name);
        Assert.AreEqual(NFNetConfig.Variant(name.Split('.')[0]), weights.Architecture);
        Assert.AreEqual(name.Split('.')[0], weights.ArchitectureName);
        Assert.AreEqual(weights.TrainImageSize, weights.Architecture.TrainImageSize, "the variant table agrees on the train size");
        Assert.AreEqual(weights.TestImageSize, weights.Architecture.TestImageSize, "and on the test size");

        using var model = new NFNetModel(weights.Architecture, weights.ClassCount, META);
        var expected = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("param_counts.json"))).RootElement
            .GetProperty("models").GetProperty(weights.ArchitectureName).GetProperty("total").GetInt64();
        Assert.AreEqual(expected, model.parameters().Sum(p => p.numel()), "timm's parameter count (param_counts.json)");
    }

    [TestMethod]
    public void PreprocessingOfTheFModelsSquashesAtTheirCropFraction()
    {
        var preprocessing = NFNetPretrained.Find("dm_nfnet_f0.dm_in1k").Preprocessing;

        preprocessing.Validate();
        Assert.AreEqual(192, preprocessing.ImageSize, "trains at the train size");
        Assert.AreEqual(256, preprocessing.EvalImageSize, "scores at the test size");
        Assert.AreEqual(0.9, preprocessing.EvalCropFraction, "no test_crop_pct: crop_pct");
        Assert.AreEqual(EvalResizeMode.Squash, preprocessing.EvalResizeMode);
        Assert.AreEqual(ImageInterpolation.Bicubic, preprocessing.Interpolation);
        CollectionAssert.AreEqual(new[] { 0.485, 0.456, 0.406 }, preprocessing.Mean!.ToArray());
        CollectionAssert.AreEqual(new[] { 0.229, 0.224, 0.225 }, preprocessing.Std!.ToArray());
    }

    [TestMethod]
    public void PreprocessingOfTheLModelsCentreCropsWholeAtTheTestSize()
    {
        var preprocessing = NFNetPretrained.Find("eca_nfnet_l2.ra3_in1k").Preprocessing;

        preprocessing.Validate();
        Assert.AreEqual(320, preprocessing.ImageSize);
        Assert.AreEqual(384, preprocessing.EvalImageSize);
        Assert.AreEqual(1.0, preprocessing.EvalCropFraction, "test_crop_pct");
        Assert.AreEqual(EvalResizeMode.ShorterSide, preprocessing.EvalResizeMode, "crop_mode 'center'");
    }

    [TestMethod]
    public void FindIsCaseInsensitive()
    {
        Assert.AreSame(NFNetPretrained.Find("eca_nfnet_l0.ra2_in1k"), NFNetPretrained.Find("ECA_NFNet_L0.RA2_IN1K"));
    }

    [TestMethod]
    [DataRow("eca_nfnet_l0", DisplayName = "architecture without tag")]
    [DataRow("eca_nfnet_l2.ra2_in1k", DisplayName = "l2's tag is ra3")]
    [DataRow("nfnet_f0.dm_in1k", DisplayName = "timm's own F layout has no weights")]
    public void UnknownNameThrowsListingTheKnownOnes(string name)
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => NFNetPretrained.Find(name));

        StringAssert.Contains(error.Message, $"'{name}'");
        foreach (var known in Timm)
            StringAssert.Contains(error.Message, known.Name);
    }
}

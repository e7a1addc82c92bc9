using System.Text.Json;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>ExportTimm writes timm's hub layout; PretrainedWeights reads it back to the same logits. (The Python side:
/// eng/verify-timm-export.sh loads these folders in timm and compares logits.)</summary>
[TestClass]
public class ExportTimmTests
{
    [TestMethod]
    public void ExportAndReimportGiveIdenticalLogitsLabelsAndPreprocessing()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var trained = PretrainedWeightsTests.TrainFirst(mlContext, PretrainedTestFiles.Keyed(mlContext, 6, 1), folder.File("model.zip"));
        var export = folder.File("export");

        trained.ExportTimm(export);

        CollectionAssert.AreEquivalent(new[] { "config.json", "model.safetensors" },
            Directory.GetFiles(export).Select(Path.GetFileName).ToArray());
        using var start = PretrainedStart.Resolve(export, "PretrainedWeights", null, null, _ => { }, CancellationToken.None);
        Assert.AreEqual(trained.Architecture, start.Architecture, "nfnet_tiny, exactly");
        CollectionAssert.AreEqual(trained.Labels!.ToArray(), start.Labels!.ToArray());
        Assert.AreEqual(PretrainedPreprocessing.Of(trained.Preprocessing).ToString(), start.Preprocessing!.ToString());
        using var reimported = new NFNetModel(start.Architecture, trained.ClassCount);
        StringAssert.Contains(start.LoadInto(reimported, trained.Labels), "Kept the pretrained classifier");
        reimported.eval();
        using var images = new ImageBatcher(trained.Preprocessing).CreateEvaluationBatch(
            TestImages.Images(perClass: 2, seed: 5).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray());
        using (no_grad())
            TensorAssert.Identical(trained.Model.call(images), reimported.call(images), "logits");
    }

    [TestMethod]
    public void ConfigJsonIsTimmsHubConfigWithPretrainedCfg()
    {
        using var folder = new TempFolder();
        using var model = new NFNetModel(NFNetConfig.Variant("eca_nfnet_l0"), numClasses: 2, META);
        var json = TimmHubConfig.Create(model.Config, 2, model.NumFeatures, ["cat", "dog"], NFNetPretrained.Find("eca_nfnet_l0.ra2_in1k").Preprocessing);
        using var config = JsonDocument.Parse(json.ToJsonString());
        var root = config.RootElement;

        Assert.AreEqual("eca_nfnet_l0", root.GetProperty("architecture").GetString());
        Assert.AreEqual(2, root.GetProperty("num_classes").GetInt32());
        Assert.AreEqual(2304, root.GetProperty("num_features").GetInt32());
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, root.GetProperty("label_names").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.IsFalse(root.TryGetProperty("model_args", out _), "timm knows the architecture by name");
        var cfg = root.GetProperty("pretrained_cfg");
        CollectionAssert.AreEqual(new[] { 3, 224, 224 }, cfg.GetProperty("input_size").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        CollectionAssert.AreEqual(new[] { 3, 288, 288 }, cfg.GetProperty("test_input_size").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.AreEqual(1.0, cfg.GetProperty("test_crop_pct").GetDouble());
        Assert.AreEqual("center", cfg.GetProperty("crop_mode").GetString());
        Assert.AreEqual("bicubic", cfg.GetProperty("interpolation").GetString());
        CollectionAssert.AreEqual(new[] { 0.485, 0.456, 0.406 }, cfg.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        CollectionAssert.AreEqual(new[] { 0.229, 0.224, 0.225 }, cfg.GetProperty("std").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.AreEqual(2, cfg.GetProperty("num_classes").GetInt32());
        Assert.AreEqual("head.fc", cfg.GetProperty("classifier").GetString());
        Assert.AreEqual(21, root.GetProperty("nf_cfg").EnumerateObject().Count(), "NfCfg's fields for NormFreeNet(NfCfg(**nf_cfg))");
    }

    [TestMethod]
    public void ACustomArchitectureCarriesItsNfCfgAsModelArgs()
    {
        var config = TinyConfigs.DeepMind with { StemChannels = [4, 8, 16, 32] };
        var json = TimmHubConfig.Create(config, 3, 96, null, new ImagePreprocessingOptions { ImageSize = 64 });
        Assert.AreEqual("dm_nfnet_f0", json["architecture"]!.GetValue<string>(), "an NFNet entry point whose NfCfg the args replace");
        Assert.AreEqual(32, json["model_args"]!["stem_chs"]!.GetValue<int>());
        Assert.IsTrue(json["model_args"]!["skipinit"]!.GetValue<bool>());
        Assert.IsNull(json[TimmHubConfig.StemChannelsField], "timm's stem describes 4, 8, 16, 32");
        var tiny = TimmHubConfig.Create(NFNetConfig.Variant("nfnet_tiny"), 3, 512, null, new ImagePreprocessingOptions { ImageSize = 64 });
        Assert.AreEqual("[16,32,32,64]", tiny[TimmHubConfig.StemChannelsField]!.ToJsonString());
    }

    [TestMethod]
    public void NaNWeightsWriteNothing()
    {
        using var folder = new TempFolder();
        using var model = PretrainedTestFiles.Tiny(classes: 3, seed: 1);
        using (no_grad())
            model.state_dict()["stages.1.0.conv2.weight"][0, 0, 0, 0] = float.NaN;

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => model.ExportTimm(folder.File("export")));

        StringAssert.Contains(error.Message, "stages.1.0.conv2.weight");
        Assert.IsEmpty(Directory.GetFileSystemEntries(folder.Path), "no folder, no temporary folder");
    }

    [TestMethod]
    public void AnExistingFolderKeepsItsOtherFiles()
    {
        using var folder = new TempFolder();
        var export = Directory.CreateDirectory(folder.File("repo")).FullName;
        File.WriteAllText(Path.Combine(export, "README.md"), "my model card");
        File.WriteAllText(Path.Combine(export, "model.safetensors"), "stale");
        using var model = PretrainedTestFiles.Tiny(classes: 3, seed: 1);

        model.ExportTimm(export, new ImagePreprocessingOptions { ImageSize = 48 });

        Assert.AreEqual("my model card", File.ReadAllText(Path.Combine(export, "README.md")));
        using var weights = new TensorSet(Safetensors.Load(Path.Combine(export, "model.safetensors")));
        Assert.HasCount(model.state_dict().Count, weights.Values, "replaced");
        Assert.HasCount(1, Directory.GetDirectories(folder.Path), "no temporary folder left");
    }
}

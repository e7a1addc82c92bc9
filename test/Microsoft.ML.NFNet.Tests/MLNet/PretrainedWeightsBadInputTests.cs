using System.IO.Compression;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>Every bad <c>PretrainedWeights</c> fails before training with a message that says what is wrong, and leaves
/// nothing behind in the checkpoint folder or the hub cache.</summary>
[TestClass]
public class PretrainedWeightsBadInputTests : TempFolderTests
{
    [TestMethod]
    public void AMissingFileIsNamed()
    {
        var path = folder.File("nowhere/model.safetensors");
        var error = FailsBeforeTraining<FileNotFoundException>(path);
        StringAssert.Contains(error.Message, $"PretrainedWeights '{path}': '{path}' does not exist (no such file or folder)");
        StringAssert.Contains(error.Message, "a .safetensors file", "says what it takes");
    }

    [TestMethod]
    public void AFolderWithoutWeightsSaysWhatItHolds()
    {
        File.WriteAllText(folder.File("notes.txt"), "");
        var error = FailsBeforeTraining<FileNotFoundException>(folder.Path);
        StringAssert.Contains(error.Message, "a folder without model.safetensors (it holds: notes.txt)");
    }

    [TestMethod]
    public void AFileThatIsNotSafetensorsIsRejected()
    {
        File.WriteAllBytes(folder.File("photo.safetensors"), TestImages.Encode(0, 1, png: true));
        var error = FailsBeforeTraining<InvalidDataException>(folder.File("photo.safetensors"));
        StringAssert.Contains(error.Message, "not a safetensors file");
    }

    [TestMethod]
    public void ATruncatedFileIsRejected()
    {
        var path = PretrainedTestFiles.SaveTiny(folder, classes: 3, seed: 1);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = FailsBeforeTraining<InvalidDataException>(path);
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "is corrupt or truncated");
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    public void NonFiniteValuesNameTheTensor(float value)
    {
        // Written as raw safetensors (SaveWeights refuses NaN): what a diverged run in another tool would leave.
        using var model = PretrainedTestFiles.Tiny(classes: 3, seed: 1);
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        tensors["stages.2.1.conv2.weight"][0, 0, 0, 0] = value;
        Safetensors.Save(folder.File("diverged.safetensors"), tensors);
        var error = FailsBeforeTraining<InvalidDataException>(folder.File("diverged.safetensors"));
        StringAssert.Contains(error.Message, "tensor 'stages.2.1.conv2.weight' holds NaN or infinite values");
    }

    [TestMethod]
    public void WeightsOfAnUnknownArchitectureNameTheClosestVariant()
    {
        using (var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny") with { NumFeatures = 640 }, 3))
            model.SaveWeights(folder.File("custom.safetensors"));
        var error = FailsBeforeTraining<InvalidDataException>(folder.File("custom.safetensors"));
        StringAssert.Contains(error.Message, "fits none of the known NFNet architectures");
        StringAssert.Contains(error.Message, "The closest is nfnet_tiny: 'final_conv.weight' is [640, 256, 1, 1] in the file, [512, 256, 1, 1]");
    }

    [TestMethod]
    public void AZipOfAnotherTrainerIsRejected()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new FeatureRow
            { Label = i % 2 == 0 ? "a" : "b", Features = [i % 2, i / 10f] }));
        var other = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(rows);
        mlContext.Model.Save(other, rows.Schema, folder.File("maxent.zip"));

        var error = FailsBeforeTraining<ArgumentException>(folder.File("maxent.zip"));
        StringAssert.Contains(error.Message, "is an ML.NET model but holds no NFNet model");
        StringAssert.Contains(error.Message, "MaximumEntropyModelParameters");
    }

    [TestMethod]
    public void AZipThatIsNotAnMLNetModelIsRejected()
    {
        using (var zip = ZipFile.Open(folder.File("photos.zip"), ZipArchiveMode.Create))
            using (var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open()))
                writer.Write("not a model");
        var error = FailsBeforeTraining<InvalidDataException>(folder.File("photos.zip"));
        StringAssert.Contains(error.Message, "is a zip file but not an ML.NET model");
    }

    [TestMethod]
    public void AnUnknownNameListsThePublishedOnes()
    {
        var error = FailsBeforeTraining<ArgumentException>("eca_nfnet_l9.ra2_in1k");
        StringAssert.Contains(error.Message, "neither a file or folder nor the name of published weights");
        StringAssert.Contains(error.Message, "eca_nfnet_l0.ra2_in1k, eca_nfnet_l1.ra2_in1k");
    }

    [TestMethod]
    public void OfflineWithAnEmptyCacheSaysWhatToFetch()
    {
        var cache = Directory.CreateDirectory(folder.File("hub")).FullName;
        var error = FailsBeforeTraining<HubDownloadException>("eca_nfnet_l0.ra2_in1k",
            new HubDownloadOptions { Offline = true, CacheDirectory = cache, Endpoint = "http://127.0.0.1:9" });
        StringAssert.Contains(error.Message, "HubDownloadOptions.Offline is true");
        StringAssert.Contains(error.Message, "http://127.0.0.1:9/timm/eca_nfnet_l0.ra2_in1k/resolve/main/model.safetensors");
        Assert.IsEmpty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories), "nothing written to the cache");
    }

    [TestMethod]
    public async Task ADownloadThatFailsItsChecksumLeavesNothingInTheCache()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile("timm/eca_nfnet_l0.ra2_in1k", "model.safetensors", HubTestCache.WeightsBytes);
        var corrupt = (byte[])HubTestCache.WeightsBytes.Clone();
        corrupt[100] ^= 1;
        hub.CorruptBody = corrupt;
        var cache = Directory.CreateDirectory(folder.File("hub")).FullName;

        var error = FailsBeforeTraining<HubDownloadException>("eca_nfnet_l0.ra2_in1k", new HubDownloadOptions
        {
            Endpoint = hub.Endpoint.AbsoluteUri, CacheDirectory = cache, Token = "", Offline = false, MaxRetries = 0,
        });
        StringAssert.Contains(error.Message, "Could not get the pretrained weights 'eca_nfnet_l0.ra2_in1k'");
        StringAssert.Contains(error.Message, "sha256");
        Assert.IsEmpty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".locks")).ToArray(),
            "no blob, snapshot or .incomplete file");
    }

    // Fit fails, no batch was ever trained, and the checkpoint folder holds nothing.
    private T FailsBeforeTraining<T>(string pretrained, HubDownloadOptions? download = null) where T : Exception
    {
        var mlContext = new MLContext(seed: 1);
        var checkpoints = folder.File("checkpoints");
        var reports = 0;
        var options = PretrainedTestFiles.FineTune(pretrained, NFNetTrainableParts.All);
        options.PretrainedWeightsDownload = download;
        options.Training = options.Training with { CheckpointDirectory = checkpoints, MetricsCallback = _ => reports++ };

        var error = Assert.ThrowsExactly<T>(() =>
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)));

        Assert.AreEqual(0, reports, "nothing trained");
        Assert.IsFalse(Directory.Exists(checkpoints) && Directory.EnumerateFileSystemEntries(checkpoints).Any(), "nothing written");
        return error;
    }

    private sealed class FeatureRow
    {
        public string Label { get; set; } = "";

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }
}

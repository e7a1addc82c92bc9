using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.NFNet.Tests.Weights;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Issue 20, item 3: an architecture read from a file next to valid weights (a timm <c>config.json</c> with
/// <c>model_args.depths = [10000000] * 4</c>, 3 KB, grew past 8 GB) or from a format-1 model zip fails with one error
/// that names the file and the field, before any model is built for it.
/// </summary>
[TestClass]
public class ArchitectureFromDataTests : TempFolderTests
{
    [TestMethod]
    [DataRow("depths", "[10000000, 10000000, 10000000, 10000000]", "model_args: depths: Invalid NFNetConfig.Depths: 40,000,000 blocks in all")]
    [DataRow("channels", "[1000000000, 1000000000, 1000000000, 1000000000]", "model_args: stem_chs: (stem_chs or channels[0]) × width_factor = 1,000,000,000")]
    [DataRow("channels", "[64, 1000000000, 256, 256]", "model_args: channels: Invalid NFNetConfig.Channels: it makes a layer of 1,000,000,000 channels")]
    [DataRow("channels", "[64, 1e9, 256, 256]", "model_args: channels: 1e9 is not a whole number")]
    public void AnAbsurdConfigJsonBesideValidWeightsNamesTheFileAndTheField(string field, string value, string expected)
    {
        var config = WriteWeightsAndConfig(field, value);

        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            new MLContext().Transforms.NFNetFeaturizeImage("Features", "ImageSource", folder.Path));

        Console.WriteLine($"{clock.ElapsedMilliseconds} ms: {error.Message}");
        StringAssert.Contains(error.Message, $"'{config}'");
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    public void TheTrainersPretrainedWeightsShareTheGuard()
    {
        var config = WriteWeightsAndConfig("depths", "[10000000, 10000000, 10000000, 10000000]");
        var mlContext = new MLContext(seed: 1);
        var options = PretrainedTestFiles.FineTune(folder.Path, NFNetTrainableParts.All);

        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)));

        StringAssert.Contains(error.Message, $"'{config}'");
        StringAssert.Contains(error.Message, "depths: Invalid NFNetConfig.Depths: 40,000,000 blocks");
    }

    [TestMethod]
    public void StemChannelsBesideTheNfCfgAreBoundedToo()
    {
        var config = WriteWeightsAndConfig("depths", "[1, 1, 1, 1]", root => root["nfnet_stem_channels"] = JsonNode.Parse("[8, 16, 16, 1000000]"));

        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            new MLContext().Transforms.NFNetFeaturizeImage("Features", "ImageSource", folder.Path));

        StringAssert.Contains(error.Message, $"'{config}'");
        StringAssert.Contains(error.Message, "nfnet_stem_channels: Invalid NFNetConfig.StemChannels: it makes a layer of 1,000,000 channels");
    }

    [TestMethod]
    public void AMillionBlocksInAFormatOneModelFailAsCorruptBeforeAnythingIsBuilt()
    {
        // Format 1 has no checksums: its architecture was built (on the meta device) to size the weights, block by block.
        var zip = TamperedModels.RewriteEntry(TamperedModels.FormatOneZip(), TamperedModels.ComponentFolder + "Architecture.json", json =>
        {
            var text = Encoding.UTF8.GetString(json);
            StringAssert.Contains(text, "\"Depths\": [\n    1,");
            return Encoding.UTF8.GetBytes(text.Replace("\"Depths\": [\n    1,", "\"Depths\": [\n    1000000,"));
        });

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => TamperedModels.Load(zip));

        var cause = TamperedModels.Chain(error).OfType<FormatException>().First();
        StringAssert.Contains(cause.Message, "'Architecture.json' stream of the model is corrupt or truncated");
        StringAssert.Contains(cause.Message, "Invalid NFNetConfig.Depths: 1,000,003 blocks in all");
    }

    /// <summary>nfnet_tiny weights as model.safetensors and a timm config.json whose model_args has
    /// <paramref name="field"/> = <paramref name="value"/>; returns the config's path.</summary>
    private string WriteWeightsAndConfig(string field, string value, Action<JsonObject>? edit = null)
    {
        PretrainedTestFiles.SaveTiny(folder, classes: 3, seed: 1, name: "model.safetensors");
        var args = JsonNode.Parse("""{"depths": [1, 1, 1, 1], "channels": [64, 128, 256, 256], "group_size": 8, "attn_layer": "se", "stem_type": "deep_quad"}""")!.AsObject();
        args[field] = JsonNode.Parse(value);
        var root = new JsonObject { ["architecture"] = "nfnet_f0", ["num_classes"] = 3, ["model_args"] = args };
        edit?.Invoke(root);
        var path = folder.File("config.json");
        File.WriteAllText(path, root.ToJsonString());
        Assert.IsLessThan(3_000L, new FileInfo(path).Length, "a small file");
        return path;
    }
}

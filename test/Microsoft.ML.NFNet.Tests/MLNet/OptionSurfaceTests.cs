using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Options are set one statement deep with one <c>using Microsoft.ML.NFNet;</c>, each fact has one meaning, and what a
/// run trains with is a copy taken when it starts.
/// </summary>
[TestClass]
public class OptionSurfaceTests
{
    [TestMethod]
    public void OptionsAreSetOneStatementDeepAndCopiedWhenFitStarts()
    {
        var options = new NFNetImageClassificationTrainer.Options { FeatureColumnName = nameof(ModelInput.ImageSource), ValidationSetFraction = 0 };
        options.Training.Epochs = 3;
        options.Training.Seed = 1;
        options.Training.BatchSize = 6;
        options.Training.Preprocessing.ImageSize = 32;
        options.Training.Optimizer.LearningRate = 0.02;
        var epochsSeen = new List<int>();
        // A caller changing the options while Fit runs changes nothing: Fit trains with the copy it took at the start.
        options.Training.MetricsCallback = m =>
        {
            if (!m.IsEpochEnd)
                return;
            epochsSeen.Add(m.Epoch);
            options.Training.Epochs = 50;
            options.Training.Preprocessing.ImageSize = 8;
        };
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(mlContext.Data.LoadFromEnumerable(TestImages.Images(4, 1)))
            .Transform(mlContext.Data.LoadFromEnumerable(TestImages.Images(4, 1)));

        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data).Model;

        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, epochsSeen, "3 epochs, as the options said when Fit started");
        Assert.AreEqual(32, model.Preprocessing.ImageSize);
        Assert.AreEqual(50, options.Training.Epochs, "the caller's object is the caller's");
    }

    [TestMethod]
    public void TheEngineTrainsWithACopyAndDrawsAndReportsASeedWhenNoneIsGiven()
    {
        var options = new NFNetTrainingOptions
        {
            Epochs = 1,
            BatchSize = 8,
            LogEveryBatches = 0,
            Preprocessing = { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0, MixUpAlpha = 0, CutMixAlpha = 0 },
        };
        var notes = new List<string>();
        var engine = new NFNetTrainingEngine(options, notes.Add);
        options.Epochs = 40; // after the engine took its copy
        using var model = new NFNetModel(TinyConfigs.Light, numClasses: 2);

        var result = engine.Train(model, SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 1));

        Assert.AreEqual(1, result.EpochsCompleted);
        Assert.IsNotNull(result.Settings!.Seed, "the seed used is reported");
        Assert.IsTrue(notes.Any(n => n.Contains($"Seed = {result.Settings.Seed}", StringComparison.Ordinal)), string.Join("\n", notes));
        Assert.IsTrue(result.AutomaticChoices.Any(c => c.StartsWith("Seed = ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ResumingWithoutASeedIsRejectedBeforeAnythingIsRead()
    {
        using var model = new NFNetModel(TinyConfigs.Light, numClasses: 2);
        var error = Assert.ThrowsExactly<ArgumentException>(() => new NFNetTrainingEngine(new NFNetTrainingOptions())
            .Train(model, SyntheticImages.Create(perClass: 2, classes: 2, size: 32, seed: 1), resumeFrom: "last.nfckpt"));
        StringAssert.Contains(error.Message, "NFNetTrainingOptions.Seed");
    }

    [TestMethod]
    public void PreprocessingSavedWithSixChannelNumbersReadsAsMeanAndStd()
    {
        // Model files and ExportTimm folders written before Mean and Std were lists.
        var legacy = JsonNode.Parse("""{ "ImageSize": 32, "MeanRed": 0.5, "MeanGreen": 0.4, "MeanBlue": 0.3, "StdRed": 0.2, "StdBlue": 0.1 }""")!;

        var options = ImagePreprocessingOptions.FromJson(legacy, JsonSerializerOptions.Default);

        CollectionAssert.AreEqual(new[] { 0.5, 0.4, 0.3 }, options.Mean!.ToArray());
        CollectionAssert.AreEqual(new[] { 0.2, 0.224, 0.1 }, options.Std!.ToArray(), "a missing channel is ImageNet's");
        Assert.AreEqual(options, ImagePreprocessingOptions.FromJson(JsonNode.Parse(JsonSerializer.Serialize(options))!, JsonSerializerOptions.Default),
            "the new form round-trips, and options compare by their numbers");
    }
}

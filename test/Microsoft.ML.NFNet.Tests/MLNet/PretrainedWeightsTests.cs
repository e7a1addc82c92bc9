using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary><c>PretrainedWeights</c>: safetensors files, timm folders and model zips, checked and loaded before training.</summary>
[TestClass]
public class PretrainedWeightsTests
{
    [TestMethod]
    public void ASafetensorsFileForOtherClassesTrainsANewHeadOnTheUnchangedBackbone()
    {
        using var folder = new TempFolder();
        var file = PretrainedTestFiles.SaveTiny(folder, classes: 10, seed: 5);
        var mlContext = new MLContext(seed: 1);
        var messages = Log(mlContext);

        var model = mlContext.MulticlassClassification.Trainers.NFNet(PretrainedTestFiles.FineTune(file, NFNetTrainableParts.Head))
            .Fit(PretrainedTestFiles.Keyed(mlContext, perClass: 4, seed: 1));

        var parameters = model.Model;
        Assert.AreEqual(NFNetConfig.Variant("nfnet_tiny"), parameters.Architecture, "inferred from the tensors");
        Assert.AreEqual(3, parameters.ClassCount);
        using var pretrained = new TensorSet(PretrainedTestFiles.Read(file));
        foreach (var (name, tensor) in parameters.Model.state_dict().Where(kv => !kv.Key.StartsWith("head.")))
            TensorAssert.Identical(pretrained.Values[name], tensor.cpu(), name + " (frozen)");
        Assert.IsTrue(parameters.Model.Classifier.bias!.abs().sum().item<float>() > 0, "the new head trained");
        CollectionAssert.Contains(parameters.Training!.AutomaticChoices.ToArray(), $"Architecture = nfnet_tiny (the architecture of '{file}')");
        Assert.IsTrue(messages.Any(m => m.Contains("Replaced the classifier") && m.Contains("10 classes") && m.Contains("3 classes")), "logged");
        Assert.IsTrue(messages.Any(m => m.Contains("computed the backbone's features of 12 images once")), "head-only, no augmentation: cached");
    }

    [TestMethod]
    public void AModelZipContinuesWithItsHeadAndPreprocessing()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = PretrainedTestFiles.Keyed(mlContext, perClass: 6, seed: 1);
        var first = TrainFirst(mlContext, data, folder.File("first.zip"));
        var test = TestImages.Images(perClass: 2, seed: 7).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();

        // A learning rate of ~0 keeps the weights: what comes out is what went in.
        var options = PretrainedTestFiles.FineTune(folder.File("first.zip"), NFNetTrainableParts.All, epochs: 1, learningRate: 1e-12);
        options.Training = options.Training with { Preprocessing = new() { RandomResizedCrop = false, HorizontalFlipProbability = 0 } };
        var second = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data).Model;

        Assert.AreEqual(32, second.Preprocessing.ImageSize, "from the zip");
        Assert.AreEqual(0.9, second.Preprocessing.EvalCropFraction, "from the zip");
        CollectionAssert.AreEqual(new[] { 0.5, 0.45, 0.4 }, second.Preprocessing.Mean!.ToArray(), "from the zip");
        CollectionAssert.AreEqual(new[] { 0.229, 0.224, 0.225 }, second.Preprocessing.Std!.ToArray(), "the first model's resolved ImageNet value");
        AssertSameScores(first.PredictProbabilities(test), second.PredictProbabilities(test), "the head was kept");
    }

    [TestMethod]
    public void LabelsInAnotherKeyOrderKeepTheHeadByName()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var first = TrainFirst(mlContext, PretrainedTestFiles.Keyed(mlContext, perClass: 6, seed: 1), folder.File("first.zip"));
        var alphabetical = PretrainedTestFiles.Keyed(mlContext, perClass: 6, seed: 1, alphabeticalKeys: true);
        var options = PretrainedTestFiles.FineTune(folder.File("first.zip"), NFNetTrainableParts.Head, epochs: 1, learningRate: 1e-12);
        var messages = Log(mlContext);

        var second = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(alphabetical).Model;

        CollectionAssert.AreEqual(new[] { "red", "green", "blue" }, first.Labels!.ToArray());
        CollectionAssert.AreEqual(new[] { "blue", "green", "red" }, second.Labels!.ToArray());
        var test = TestImages.Images(perClass: 2, seed: 7).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();
        var before = first.PredictProbabilities(test);
        var after = second.PredictProbabilities(test);
        for (var i = 0; i < test.Length; i++)
            foreach (var (label, index) in second.Labels!.Select((l, k) => (l, k)))
                Assert.AreEqual(before[i][first.Labels!.ToList().IndexOf(label)], after[i][index], 1e-5, $"image {i}, class {label}");
        Assert.IsTrue(messages.Any(m => m.Contains("reordered to the data's key order")));
    }

    [TestMethod]
    public void AnExplicitArchitectureThatDisagreesWithTheWeightsNamesBoth()
    {
        using var folder = new TempFolder();
        var file = PretrainedTestFiles.SaveTiny(folder, classes: 3, seed: 5);
        var mlContext = new MLContext(seed: 1);
        var options = PretrainedTestFiles.FineTune(file, NFNetTrainableParts.All);
        options.Architecture = TinyConfigs.Light;

        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)));

        StringAssert.Contains(error.Message, "Options.Architecture (tiny-eca)");
        StringAssert.Contains(error.Message, "holds nfnet_tiny weights");
        StringAssert.Contains(error.Message, "'stem.conv1.weight' is [16, 3, 3, 3] in the file, [8, 3, 3, 3] in tiny-eca");
    }

    [TestMethod]
    public void ADescribedArchitectureMayChangeOnlyTheDropRates()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = PretrainedTestFiles.Keyed(mlContext, perClass: 4, seed: 1);
        TrainFirst(mlContext, data, folder.File("first.zip"));
        var options = PretrainedTestFiles.FineTune(folder.File("first.zip"), NFNetTrainableParts.Head, epochs: 1);

        options.Architecture = NFNetConfig.Variant("nfnet_tiny") with { DropPathRate = 0.3 };
        Assert.AreEqual(0.3, mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data).Model.Architecture.DropPathRate);

        options.Architecture = NFNetConfig.Variant("nfnet_tiny") with { Name = "mine", Activation = NFNetActivation.Gelu };
        var error = Assert.ThrowsExactly<ArgumentException>(() => mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data));
        StringAssert.Contains(error.Message, "Options.Architecture (mine) disagrees with the NFNet classifier in");
        StringAssert.Contains(error.Message, "Activation Gelu vs Silu");
    }

    [TestMethod]
    public void PreprocessingFollowsTheConfigJsonUnlessSet()
    {
        using var folder = new TempFolder();
        using (var model = PretrainedTestFiles.Tiny(classes: 3, seed: 2))
            model.ExportTimm(folder.File("export"), new ImagePreprocessingOptions
            {
                ImageSize = 40, EvalImageSize = 48, EvalCropFraction = 0.95, EvalResizeMode = EvalResizeMode.Squash,
                Interpolation = ImageInterpolation.Bilinear, Mean = [0.5, 0.4, 0.3],
                Std = [0.2, 0.25, 0.3],
            }, TestImages.Classes);
        var mlContext = new MLContext(seed: 1);
        var data = PretrainedTestFiles.Keyed(mlContext, perClass: 3, seed: 1);
        var options = PretrainedTestFiles.FineTune(folder.File("export"), NFNetTrainableParts.Head, epochs: 1);

        options.Training.Preprocessing = new() { Mean = [0.6, 0.5, 0.4], RandomResizedCrop = false, HorizontalFlipProbability = 0 };
        var followed = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data).Model.Preprocessing;
        Assert.AreEqual((40, 48), (followed.ImageSize, followed.EvalImageSize), "train and test resolution");
        Assert.AreEqual((0.95, EvalResizeMode.Squash, ImageInterpolation.Bilinear), (followed.EvalCropFraction, followed.EvalResizeMode, followed.Interpolation));
        CollectionAssert.AreEqual(new[] { 0.6, 0.5, 0.4 }, followed.Mean!.ToArray(), "Mean was set");
        CollectionAssert.AreEqual(new[] { 0.2, 0.25, 0.3 }, followed.Std!.ToArray(), "Std follows the config");

        options.Training = options.Training with { Preprocessing = new() { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0 } };
        var ownSize = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data).Model.Preprocessing;
        Assert.AreEqual(32, ownSize.ImageSize);
        Assert.IsNull(ownSize.EvalImageSize, "another training size scores at that size, not at the weights' test size");
    }

    [TestMethod]
    public void FineTuningNeedsPretrainedWeightsAndAStageCountTheArchitectureHas()
    {
        var options = TestImages.FastOptions();
        options.Training.TrainableParts = NFNetTrainableParts.Head;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.NFNet(options));
        StringAssert.Contains(error.Message, "PretrainedWeights");

        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        options = PretrainedTestFiles.FineTune(PretrainedTestFiles.SaveTiny(folder, 3, 1), NFNetTrainableParts.LastStages);
        options.Training.TrainableParts = NFNetTrainableParts.LastStages;
        options.Training.TrainableLastStages = 5;
        var stages = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)));
        StringAssert.Contains(stages.Message, "nfnet_tiny has 4 stages");
    }

    internal static NFNetModelParameters TrainFirst(MLContext mlContext, IDataView data, string zip)
    {
        var options = TestImages.FastOptions();
        options.Training = options.Training with
        {
            Epochs = 2,
            Preprocessing = options.Training.Preprocessing with { EvalCropFraction = 0.9, Mean = [0.5, 0.45, 0.4] },
        };
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(data);
        mlContext.Model.Save(model, data.Schema, zip);
        return model.Model;
    }

    internal static List<string> Log(MLContext mlContext)
    {
        var messages = new List<string>();
        mlContext.Log += (_, e) =>
        {
            lock (messages)
                messages.Add(e.Message);
        };
        return messages;
    }

    private static void AssertSameScores(float[][] expected, float[][] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
            for (var c = 0; c < expected[i].Length; c++)
                Assert.AreEqual(expected[i][c], actual[i][c], 1e-5, $"{what}: image {i}, class {c}");
    }
}

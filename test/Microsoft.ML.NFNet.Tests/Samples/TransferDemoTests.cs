using Microsoft.ML.NFNet.Samples;
using Microsoft.ML.NFNet.Samples.Commands;
using Microsoft.ML.NFNet.Samples.Transfer;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary><c>nfnet-samples transfer-demo</c>: its command line, and the shipped pretrained weights doing their job on
/// the embedded images of classes they were not trained on.</summary>
[TestClass]
public class TransferDemoTests
{
    private static string Shipped => Path.Combine(AppContext.BaseDirectory, FashionMnistTransfer.ShippedWeights);

    [TestMethod]
    public void DefaultsCompareEveryModeAt10And25And100ImagesPerClass()
    {
        var result = SampleCli.Parse("transfer-demo");
        Assert.IsEmpty(result.Errors);
        var request = ((TransferDemoCommand)result.CommandResult.Command).Bind(result);
        CollectionAssert.AreEqual(new[] { 10, 25, 100 }, request.PerClass);
        CollectionAssert.AreEqual(Enum.GetValues<TransferMode>(), request.Modes);
        Assert.AreEqual(1, request.Seed);
    }

    [TestMethod]
    public void ModesAndBadValuesAreParsed()
    {
        var result = SampleCli.Parse("transfer-demo", "--per-class", "10,25", "--modes", "full,head", "--seed", "3");
        var request = ((TransferDemoCommand)result.CommandResult.Command).Bind(result);
        CollectionAssert.AreEqual(new[] { 10, 25 }, request.PerClass);
        CollectionAssert.AreEqual(new[] { TransferMode.Full, TransferMode.Head }, request.Modes);
        Assert.AreEqual(3, request.Seed);

        var (code, _, error) = SampleCli.RunWithoutWork("transfer-demo", "--per-class", "200");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "--per-class");
        (code, _, error) = SampleCli.RunWithoutWork("transfer-demo", "--modes", "everything");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "'everything' is not one of scratch, full, laststage, head, features");
    }

    [TestMethod]
    public void TheShippedWeightsAreATimmExportOfNfnetTinyForFiveClasses()
    {
        var shape = PretrainedShape.Read(Shipped);
        Assert.AreEqual(NFNetConfig.Variant("nfnet_tiny"), shape.Architecture);
        Assert.AreEqual(5, shape.ClassCount);
        Assert.AreEqual(32, shape.ImageSize);
        using var model = new NFNetModel(shape.Architecture, shape.ClassCount);
        model.LoadWeights(Path.Combine(Shipped, NFNetModelExtensions.TimmWeightsFileName)); // strict: every tensor present, shaped, finite
        Assert.IsLessThan(4_000_000, new FileInfo(Path.Combine(Shipped, "model.safetensors")).Length, "a few MB at most");
    }

    [TestMethod]
    public void TheShippedWeightsTransferToTheFiveUnseenClasses()
    {
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var train = FashionMnistTransfer.FirstPerClass(MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist")), perClass: 10);
        var test = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnistTest"))
            .Where(i => FashionMnistTransfer.NewClasses.Contains(i.Label)).ToList();
        // Without augmentation a head-only run caches the backbone's features: seconds instead of a minute.
        var experiment = new TransferExperiment(Shipped, PretrainedShape.Read(Shipped), test, seed: 1)
        {
            Configure = (_, _, options) =>
            {
                options.Training.Preprocessing.RandomResizedCrop = false;
                options.Training.Preprocessing.HorizontalFlipProbability = 0;
            },
        };

        var probe = experiment.Run(TransferMode.Head, train, 10);
        var features = experiment.Run(TransferMode.Features, train, 10);

        Assert.HasCount(150, test);
        // Chance is 20 %; on the 5,000 official test images these measured 74 % and 70 % (docs/transfer-learning.md).
        Assert.IsGreaterThan(0.6, probe.Accuracy, $"head only on the frozen pretrained backbone: {probe.Accuracy:P1}");
        Assert.IsGreaterThan(0.6, features.Accuracy, $"features + LbfgsMaximumEntropy: {features.Accuracy:P1}");
    }
}

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>When steps run in micro-batches on their own: on a CPU, for steps that train more than the head on images of
/// 176 px and more (where the measurements had them smaller and faster), never over a setting of the user's.</summary>
[TestClass]
public class MicroBatchDefaultsTests
{
    private static readonly NFNetConfig L0 = NFNetConfig.Variant("eca_nfnet_l0");
    private static readonly DatasetProfile Photos = new(ImageCount: 1_000, ClassCount: 10, SmallestClass: 100, LargestClass: 100,
        MedianWidth: 256, MedianHeight: 256, GrayscaleFraction: 0);

    // Fine-tuning with the epochs set (the CPU plan is off), at the given size.
    private static (NFNetTrainingOptions Settings, IReadOnlyList<string> Choices) Resolve(int imageSize, bool onCpu = true,
        int? microBatch = null, NFNetTrainableParts? parts = null, int batch = 32) =>
        AutomaticSettings.Resolve(new NFNetTrainingOptions
        {
            Epochs = 3,
            BatchSize = batch,
            MicroBatchSize = microBatch,
            TrainableParts = parts,
            Preprocessing = new() { ImageSize = imageSize },
        }, Photos, L0, fromPretrained: true, onCpu: onCpu);

    [TestMethod]
    [DataRow(224)]
    [DataRow(176)]
    public void LargeImagesOnACpuTrainInMicroBatchesOfEightAndSaySo(int imageSize)
    {
        var (settings, choices) = Resolve(imageSize);

        Assert.AreEqual(MicroBatchDefaults.Size, settings.MicroBatchSize);
        Assert.AreEqual(8, MicroBatchDefaults.Size);
        var line = choices.Single(c => c.StartsWith("MicroBatchSize = 8 ", StringComparison.Ordinal));
        StringAssert.Contains(line, $"{imageSize} px");
        StringAssert.Contains(line, "set MicroBatchSize");
    }

    [TestMethod]
    [DataRow(128, true, null, null, 32, DisplayName = "128 px: micro-batches were slower there")]
    [DataRow(224, false, null, null, 32, DisplayName = "a GPU")]
    [DataRow(224, true, null, NFNetTrainableParts.Head, 32, DisplayName = "head only: no backbone activations are kept")]
    [DataRow(224, true, null, null, 8, DisplayName = "a batch no larger than a micro-batch")]
    public void OtherwiseEachStepIsOnePass(int imageSize, bool onCpu, int? microBatch, NFNetTrainableParts? parts, int batch)
    {
        var (settings, choices) = Resolve(imageSize, onCpu, microBatch, parts, batch);

        Assert.IsNull(settings.MicroBatchSize);
        Assert.IsFalse(choices.Any(c => c.StartsWith("MicroBatchSize", StringComparison.Ordinal)), string.Join("\n", choices));
    }

    [TestMethod]
    public void TheUsersMicroBatchWins()
    {
        var (settings, choices) = Resolve(224, microBatch: 32);

        Assert.AreEqual(32, settings.MicroBatchSize);
        Assert.IsFalse(choices.Any(c => c.StartsWith("MicroBatchSize", StringComparison.Ordinal)));
    }
}

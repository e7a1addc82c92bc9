using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class BatchMixingTests
{
    private const int Size = 16;

    [TestMethod]
    [DataRow(0.2)]
    [DataRow(1.0)]
    [DataRow(3.0)]
    public void BetaSamplesHaveTheRightMeanAndVariance(double alpha)
    {
        var random = new Random(1);
        var samples = Enumerable.Range(0, 40_000).Select(_ => BetaDistribution.Sample(alpha, alpha, random)).ToArray();
        var mean = samples.Average();
        var variance = samples.Select(s => (s - mean) * (s - mean)).Average();
        Assert.IsTrue(samples.All(s => s is >= 0 and <= 1));
        Assert.AreEqual(0.5, mean, 0.01);
        Assert.AreEqual(1 / (4 * (2 * alpha + 1)), variance, 0.005, "Var Beta(a, a) = 1 / (4 (2a + 1))");
    }

    [TestMethod]
    public void MixUpBlendsEachImageWithItsMirrorPartnerByLambda()
    {
        using var scope = NewDisposeScope();
        var images = ConstantImages(10, 20, 30, 40);
        var mix = SampleUntil(TestAugmentation.Standard with { MixUpAlpha = 1 }, MixKind.MixUp);

        BatchMixer.ApplyInPlace(images, mix);

        var values = new[] { 10.0, 20, 30, 40 };
        for (var i = 0; i < 4; i++)
        {
            var expected = mix.Lambda * values[i] + (1 - mix.Lambda) * values[3 - i];
            Assert.AreEqual(expected, images[i].min().item<float>(), 1e-4);
            Assert.AreEqual(expected, images[i].max().item<float>(), 1e-4);
        }
        AssertTargets(mix.Lambda, labelSmoothing: 0);
    }

    [TestMethod]
    public void CutMixPastesABoxWhoseAreaMatchesLambda()
    {
        using var scope = NewDisposeScope();
        var images = ConstantImages(10, 20, 30, 40);
        var mix = SampleUntil(TestAugmentation.Standard with { CutMixAlpha = 1 }, MixKind.CutMix);

        BatchMixer.ApplyInPlace(images, mix);

        var values = new[] { 10f, 20, 30, 40 };
        for (var i = 0; i < 4; i++)
        {
            var pastedPixels = images[i].eq(values[3 - i]).sum().item<long>() / 3; // per channel
            Assert.AreEqual(mix.Box.Area, pastedPixels, $"image {i}");
            Assert.AreEqual(Size * Size - mix.Box.Area, images[i].eq(values[i]).sum().item<long>() / 3);
        }
        Assert.AreEqual(1 - mix.Box.Area / (double)(Size * Size), mix.Lambda, 1e-12, "λ is corrected to the clipped box");
        AssertTargets(mix.Lambda, labelSmoothing: 0.1);
    }

    [TestMethod]
    public void MixProbabilityZeroNeverMixes()
    {
        var options = TestAugmentation.Standard with { MixUpAlpha = 1, CutMixAlpha = 1, MixProbability = 0 };
        var random = new Random(0);
        Assert.IsTrue(Enumerable.Range(0, 100).All(_ => BatchMixer.Sample(options, Size, Size, random) == BatchMix.None));
    }

    [TestMethod]
    [DataRow(1.0, true)]
    [DataRow(0.0, false)]
    public void SwitchProbabilityChoosesBetweenMixUpAndCutMix(double switchProbability, bool cutMixOnly)
    {
        var only = cutMixOnly ? MixKind.CutMix : MixKind.MixUp;
        var options = TestAugmentation.Standard with { MixUpAlpha = 1, CutMixAlpha = 1, SwitchProbability = switchProbability };
        var random = new Random(0);
        var kinds = Enumerable.Range(0, 100).Select(_ => BatchMixer.Sample(options, Size, Size, random).Kind).ToHashSet();
        CollectionAssert.AreEquivalent(new[] { only }, kinds.Where(kind => kind != MixKind.None).ToArray());
    }

    [TestMethod]
    public void BothOnWithHalfSwitchProbabilityUsesBoth()
    {
        var options = TestAugmentation.Standard with { MixUpAlpha = 1, CutMixAlpha = 1 };
        var random = new Random(0);
        var kinds = Enumerable.Range(0, 200).Select(_ => BatchMixer.Sample(options, Size, Size, random).Kind).ToList();
        var cutMixShare = kinds.Count(kind => kind == MixKind.CutMix) / 200.0;
        Assert.IsTrue(cutMixShare is > 0.35 and < 0.65, $"CutMix share {cutMixShare}");
    }

    [TestMethod]
    public void TrainingBatchTargetsAreHardLabelsWithoutMixingAndSoftWithIt()
    {
        using var scope = NewDisposeScope();
        ReadOnlyMemory<byte>[] images = [.. Enumerable.Range(0, 4).Select(seed => RgbImage.Noise(40, 30, seed).EncodePng())];
        int[] labels = [2, 0, 1, 2];

        using var hard = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 16 })
            .CreateTrainingBatch(images, labels, 3, 0.1, new Random(0));
        Assert.IsFalse(hard.HasSoftTargets);
        Assert.AreEqual(ScalarType.Int64, hard.Targets.dtype);
        CollectionAssert.AreEqual(new long[] { 2, 0, 1, 2 }, hard.Targets.data<long>().ToArray());

        using var soft = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 16, MixUpAlpha = 0.2 })
            .CreateTrainingBatch(images, labels, 3, 0.1, new Random(0));
        Assert.IsTrue(soft.HasSoftTargets);
        CollectionAssert.AreEqual(new long[] { 4, 3 }, soft.Targets.shape);
        Assert.IsTrue(soft.Targets.sum(1).allclose(ones(4)));
    }

    /// <summary>Rows sum to 1; image i puts λ·on + (1−λ)·off on its own class and the rest on its partner's.</summary>
    private static void AssertTargets(double lambda, double labelSmoothing)
    {
        const int classes = 5;
        var targets = BatchMixer.SoftTargets(tensor(new long[] { 0, 1, 2, 3 }), classes, lambda, labelSmoothing);
        CollectionAssert.AreEqual(new long[] { 4, classes }, targets.shape);
        Assert.IsTrue(targets.sum(1).allclose(ones(4)), "rows sum to 1");
        var off = labelSmoothing / classes;
        var on = 1 - labelSmoothing + off;
        for (var i = 0; i < 4; i++)
        {
            Assert.AreEqual(lambda * on + (1 - lambda) * off, targets[i, i].item<float>(), 1e-6, $"row {i}, own class");
            Assert.AreEqual((1 - lambda) * on + lambda * off, targets[i, 3 - i].item<float>(), 1e-6, $"row {i}, partner class");
            Assert.AreEqual(off, targets[i, 4].item<float>(), 1e-6, $"row {i}, other class");
        }
    }

    private static Tensor ConstantImages(params float[] values) =>
        stack(values.Select(value => full(3, Size, Size, value)).ToArray());

    private static BatchMix SampleUntil(ImagePreprocessingOptions options, MixKind kind)
    {
        var random = new Random(0);
        while (true)
        {
            var mix = BatchMixer.Sample(options, Size, Size, random);
            if (mix.Kind == kind && mix.Lambda is > 0.2 and < 0.8)
                return mix;
        }
    }
}

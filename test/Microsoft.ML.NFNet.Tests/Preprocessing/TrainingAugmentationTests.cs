using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class TrainingAugmentationTests
{
    private static readonly ReadOnlyMemory<byte>[] Images =
        [RgbImage.Noise(160, 120, seed: 10).EncodeJpeg(90), RgbImage.Noise(90, 140, seed: 11).EncodePng()];

    [TestMethod]
    public void SameSeedGivesIdenticalBatches()
    {
        using var scope = NewDisposeScope();
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 64, MixUpAlpha = 0.2, CutMixAlpha = 1 });
        using var first = batcher.CreateTrainingBatch(Images, [0, 1], 2, 0.1, new Random(42));
        using var second = batcher.CreateTrainingBatch(Images, [0, 1], 2, 0.1, new Random(42));
        TensorAssert.Identical(first.Images, second.Images);
        TensorAssert.Identical(first.Targets, second.Targets);
        Assert.AreEqual(first.Mix, second.Mix);
    }

    [TestMethod]
    public void DifferentSeedsGiveDifferentCrops()
    {
        using var scope = NewDisposeScope();
        var options = TestAugmentation.Standard with { ImageSize = 64 };
        var boxes = Enumerable.Range(0, 20).Select(seed => RandomResizedCrop.Sample(120, 160, options, new Random(seed))).ToHashSet();
        Assert.IsGreaterThan(15, boxes.Count, "20 seeds should give (nearly) 20 different crops");

        var batcher = new ImageBatcher(options);
        using var first = batcher.CreateTrainingBatch(Images, [0, 1], 2, 0, new Random(1));
        using var second = batcher.CreateTrainingBatch(Images, [0, 1], 2, 0, new Random(2));
        Assert.IsFalse(TensorAssert.AreEqual(first.Images, second.Images));
    }

    [TestMethod]
    public void RandomCropsRespectScaleRatioAndBounds()
    {
        var options = TestAugmentation.Standard with { CropScaleMin = 0.25, CropScaleMax = 0.5 };
        var random = new Random(5);
        for (var i = 0; i < 500; i++)
        {
            var box = RandomResizedCrop.Sample(300, 400, options, random);
            Assert.IsTrue(box.Top >= 0 && box.Left >= 0 && box.Top + box.Height <= 300 && box.Left + box.Width <= 400, box.ToString());
            var areaFraction = box.Area / (300.0 * 400);
            Assert.IsTrue(areaFraction is > 0.24 and < 0.51, $"{box}: area fraction {areaFraction}");
            var ratio = (double)box.Width / box.Height;
            Assert.IsTrue(ratio > 0.74 && ratio < 1.35, $"{box}: ratio {ratio}");
        }
    }

    [TestMethod]
    public void ImpossibleCropFallsBackToTheLargestCentralCrop()
    {
        // 10 × 1000 can never hold a full-area crop with ratio ≤ 4/3: torchvision's fallback keeps the height and
        // takes round(10 · 4/3) = 13 columns from the middle.
        var options = TestAugmentation.Standard with { CropScaleMin = 1 };
        Assert.AreEqual(new CropBox(0, 493, 10, 13), RandomResizedCrop.Sample(10, 1000, options, new Random(0)));
    }

    [TestMethod]
    public void FlipMirrorsTheImage()
    {
        using var scope = NewDisposeScope();
        var noCrop = TestAugmentation.Standard with { ImageSize = 32, EvalCropFraction = 1, RandomResizedCrop = false };
        var evaluated = new ImageBatcher(noCrop).CreateEvaluationBatch(Images);
        using var flipped = new ImageBatcher(noCrop with { HorizontalFlipProbability = 1 })
            .CreateTrainingBatch(Images, [0, 0], 1, 0, new Random(0));
        using var unflipped = new ImageBatcher(noCrop with { HorizontalFlipProbability = 0 })
            .CreateTrainingBatch(Images, [0, 0], 1, 0, new Random(0));

        TensorAssert.Identical(evaluated.flip(3), flipped.Images);
        TensorAssert.Identical(evaluated, unflipped.Images, "training without augmentation is evaluation");
    }

    [TestMethod]
    public void FlipHappensAboutAsOftenAsAsked()
    {
        var preprocessor = new ImagePreprocessor(TestAugmentation.Standard with { ImageSize = 8, EvalCropFraction = 1, RandomResizedCrop = false });
        using var scope = NewDisposeScope();
        var asymmetric = arange(3 * 8 * 8, ScalarType.Byte).view(3, 8, 8);
        var random = new Random(3);
        var flips = Enumerable.Range(0, 400).Count(_ =>
        {
            using var inner = NewDisposeScope();
            return !TensorAssert.AreEqual(asymmetric, preprocessor.Augment(asymmetric, random));
        });
        Assert.IsTrue(flips is > 160 and < 240, $"{flips} flips out of 400 at p = 0.5");
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class EvaluationPreprocessingTests
{
    [TestMethod]
    public void UniformImageGivesTheNormalisedColourEverywhere()
    {
        using var scope = NewDisposeScope();
        var options = TestAugmentation.Standard;
        var png = new RgbImage(300, 200, (_, _) => (128, 64, 32)).EncodePng();

        var batch = new ImageBatcher(options).CreateEvaluationBatch([png]);

        Assert.AreEqual(ScalarType.Float32, batch.dtype);
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, batch.shape);
        // Null mean and std: ImageNet's (0.485, 0.456, 0.406) and (0.229, 0.224, 0.225).
        var expected = new[]
        {
            (128 / 255.0 - 0.485) / 0.229,
            (64 / 255.0 - 0.456) / 0.224,
            (32 / 255.0 - 0.406) / 0.225,
        };
        for (var channel = 0; channel < 3; channel++)
        {
            var plane = batch[0, channel];
            Assert.AreEqual(expected[channel], plane.min().item<float>(), 1e-5, $"channel {channel} min");
            Assert.AreEqual(expected[channel], plane.max().item<float>(), 1e-5, $"channel {channel} max");
        }
    }

    [TestMethod]
    public void ResizeGeometryFollowsTorchvision()
    {
        var options = TestAugmentation.Standard; // 224 / 0.875 = 256
        Assert.AreEqual((256L, 341L), EvalGeometry.ResizedSize(375, 500, 224, options), "landscape: int(256 * 500 / 375)");
        Assert.AreEqual((341L, 256L), EvalGeometry.ResizedSize(500, 375, 224, options), "portrait");
        Assert.AreEqual((256L, 256L), EvalGeometry.ResizedSize(375, 500, 224, options with { EvalResizeMode = EvalResizeMode.Squash }));
        Assert.AreEqual((213L, 284L), EvalGeometry.ResizedSize(375, 500, 192, options with { EvalCropFraction = 0.9 }),
            "floor(192 / 0.9) = 213");
        Assert.AreEqual(new CropBox(16, 58, 224, 224), EvalGeometry.CenterCrop(256, 341, 224), "round(58.5) is 58, half to even");
    }

    [TestMethod]
    public void CentreCropTakesTheCentreOfASquareImage()
    {
        // size 4, fraction 0.5: an 8×8 image needs no resize, so the crop can be checked pixel by pixel.
        AssertCentreCrop(width: 8, height: 8, expectedLeft: 2, expectedTop: 2);
    }

    [TestMethod]
    public void CentreCropTakesTheCentreOfAWideImage() => AssertCentreCrop(width: 16, height: 8, expectedLeft: 6, expectedTop: 2);

    [TestMethod]
    public void CentreCropTakesTheCentreOfATallImage() => AssertCentreCrop(width: 8, height: 13, expectedLeft: 2, expectedTop: 4);

    [TestMethod]
    public void NonSquareImagesOfAnySizeGiveSquareOutput()
    {
        using var scope = NewDisposeScope();
        var images = new ReadOnlyMemory<byte>[]
        {
            RgbImage.Noise(100, 40, seed: 1).EncodePng(),
            RgbImage.Noise(17, 300, seed: 2).EncodeJpeg(90),
            RgbImage.Noise(3, 2, seed: 3).EncodePng(), // upscaled
        };
        foreach (var mode in new[] { EvalResizeMode.ShorterSide, EvalResizeMode.Squash })
        foreach (var interpolation in new[] { ImageInterpolation.Bicubic, ImageInterpolation.Bilinear })
        {
            var options = TestAugmentation.Standard with { ImageSize = 32, EvalResizeMode = mode, Interpolation = interpolation };
            var batch = new ImageBatcher(options).CreateEvaluationBatch(images);
            CollectionAssert.AreEqual(new long[] { 3, 3, 32, 32 }, batch.shape);
            Assert.IsTrue(batch.isfinite().all().item<bool>());
        }
    }

    [TestMethod]
    public void EvaluationIsDeterministic()
    {
        using var scope = NewDisposeScope();
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 48 });
        ReadOnlyMemory<byte>[] images = [RgbImage.Noise(120, 90, seed: 4).EncodeJpeg(85)];
        TensorAssert.Identical(batcher.CreateEvaluationBatch(images), batcher.CreateEvaluationBatch(images));
    }

    /// <summary>Pixel (x, y) = (10x, 10y, 7): the crop's first pixel reveals its offset.</summary>
    private static void AssertCentreCrop(int width, int height, int expectedLeft, int expectedTop)
    {
        using var scope = NewDisposeScope();
        var options = TestAugmentation.Standard with
        {
            ImageSize = 4, EvalCropFraction = 0.5, Mean = [0, 0, 0], Std = [1 / 255.0, 1 / 255.0, 1 / 255.0], // identity normalisation: values stay 0..255
        };
        var png = new RgbImage(width, height, (x, y) => ((byte)(10 * x), (byte)(10 * y), 7)).EncodePng();

        var batch = new ImageBatcher(options).CreateEvaluationBatch([png]);

        var expected = new float[3, 4, 4];
        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 4; x++)
            (expected[0, y, x], expected[1, y, x], expected[2, y, x]) = (10 * (x + expectedLeft), 10 * (y + expectedTop), 7);
        var actual = batch[0].round(); // 1/255 · 255 is not exactly 1 in float32
        TensorAssert.Identical(tensor(expected), actual);
    }
}

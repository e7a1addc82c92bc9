using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Thin images (issue 13, item 1): the work of evaluation preprocessing is bounded whatever the shape, normal images
/// still follow torchvision exactly, and a shape beyond <see cref="ImagePreprocessingOptions.MaxAspectRatio"/> is an
/// <see cref="InvalidImageException"/> raised from the header, before any pixel is decoded.
/// </summary>
[TestClass]
public class ThinImageTests
{
    private static readonly ImagePreprocessingOptions Options = new() { ImageSize = 32 };

    [TestMethod]
    public void ImagesUpToSevenToOneAreResizedWholeAsTorchvisionDoes()
    {
        foreach (var size in new[] { 16, 32, 224 })
        foreach (var (width, height) in new[] { (500, 375), (375, 500), (40, 30), (9, 7), (3, 2), (1, 1), (700, 100), (100, 700), (8000, 8000) })
        foreach (var mode in new[] { EvalResizeMode.ShorterSide, EvalResizeMode.Squash })
        {
            var options = Options with { EvalResizeMode = mode };
            var plan = EvalGeometry.Plan(height, width, size, options);

            // torchvision's Resize(floor(size / 0.875)) + CenterCrop(size), written out.
            var scaleSize = (int)Math.Floor(size / 0.875);
            var (resizedHeight, resizedWidth) = mode == EvalResizeMode.Squash ? (scaleSize, scaleSize)
                : width <= height ? ((int)((double)scaleSize * height / width), scaleSize) : (scaleSize, (int)((double)scaleSize * width / height));
            var what = $"{width}×{height} at {size}, {mode}";
            Assert.AreEqual(new CropBox(0, 0, height, width), plan.Source, what + ": the whole image is resized");
            Assert.AreEqual((resizedHeight, resizedWidth), (plan.ResizedHeight, plan.ResizedWidth), what);
            Assert.AreEqual(new CropBox((int)Math.Round((resizedHeight - size) / 2.0, MidpointRounding.ToEven),
                (int)Math.Round((resizedWidth - size) / 2.0, MidpointRounding.ToEven), size, size), plan.Crop, what);
        }
    }

    [TestMethod]
    public void ThinImagesResizeAtMostAFewTimesTheCrop()
    {
        foreach (var size in new[] { 16, 32, 224, 4096 })
        foreach (var (width, height) in new[] { (1_000_000, 1), (1, 10_000), (64_000_000, 1), (1, 64_000_000), (8000, 3), (5, 9000), (1_000_000, 64) })
        foreach (var interpolation in new[] { ImageInterpolation.Bicubic, ImageInterpolation.Bilinear })
        foreach (var fraction in new[] { 0.875, 1.0, 0.5 })
        {
            var options = Options with { Interpolation = interpolation, EvalCropFraction = fraction };
            var plan = EvalGeometry.Plan(height, width, size, options);
            var what = $"{width}×{height} at {size}, {interpolation}, crop fraction {fraction}";

            Assert.IsLessThanOrEqualTo(8L * size * size, plan.ResizedArea, what + ": resized pixels");
            Assert.IsTrue(plan.Source is { Top: >= 0, Left: >= 0, Height: >= 1, Width: >= 1 }, what);
            Assert.IsTrue(plan.Source.Top + plan.Source.Height <= height && plan.Source.Left + plan.Source.Width <= width, what + ": source inside the image");
            Assert.IsTrue(plan.Crop is { Top: >= 0, Left: >= 0 } && plan.Crop.Top + size <= plan.ResizedHeight
                && plan.Crop.Left + size <= plan.ResizedWidth, what + ": crop inside the resized region");
        }
    }

    [TestMethod]
    // Noise: any shift of the sampling grid would show, so these regions are on torchvision's grid exactly.
    [DataRow(1200, 30, ImageInterpolation.Bicubic, true, 0)] // scale 18/30: region ends on whole resized pixels
    [DataRow(25, 900, ImageInterpolation.Bicubic, true, 0)]
    [DataRow(1200, 30, ImageInterpolation.Bilinear, true, 0)]
    // Smooth content: within a grey level where the grid is shifted or the kernel's margin trimmed.
    [DataRow(3000, 1, ImageInterpolation.Bicubic, false, 1)] // one pixel thick: an 18-fold upscale, margin trimmed
    [DataRow(2000, 7, ImageInterpolation.Bicubic, false, 1)] // scale 5142/2000: no exact grid pixel nearby
    [DataRow(1001, 37, ImageInterpolation.Bilinear, false, 1)]
    public void ResizingOnlyTheCropRegionAgreesWithResizingTheWholeStrip(int width, int height, ImageInterpolation interpolation,
        bool noise, int maxDifference)
    {
        using var scope = NewDisposeScope();
        var image = noise ? RgbImage.Noise(width, height, seed: 3) : new RgbImage(width, height, (x, y) => (
            (byte)(128 + 100 * Math.Sin(x / 23.0 + y / 17.0)), (byte)(128 + 90 * Math.Cos(x / 31.0 - y / 13.0)), (byte)(x * 255 / width)));
        var options = Options with { ImageSize = 16, Interpolation = interpolation, MaxAspectRatio = double.PositiveInfinity };
        var rgb = ImageDecoder.DecodeRgb(image.EncodePng(), ImageSizeLimit.Of(options));
        var plan = EvalGeometry.Plan(height, width, 16, options);
        Assert.IsTrue(plan.Source.Area < (long)width * height, "the strip takes the bounded path");

        var ours = new ImagePreprocessor(options).Evaluate(rgb, 16).to(ScalarType.Int32);
        // The reference: torchvision's order, the whole strip resized, then the centre crop.
        var (resizedHeight, resizedWidth) = EvalGeometry.ResizedSize(height, width, 16, options);
        var mode = interpolation == ImageInterpolation.Bilinear ? InterpolationMode.Bilinear : InterpolationMode.Bicubic;
        var whole = nn.functional.interpolate(rgb.unsqueeze(0), [resizedHeight, resizedWidth], mode: mode, align_corners: false, antialias: true).squeeze(0);
        var crop = EvalGeometry.CenterCrop((int)resizedHeight, (int)resizedWidth, 16);
        var reference = whole.narrow(1, crop.Top, 16).narrow(2, crop.Left, 16).to(ScalarType.Int32);

        var largest = (ours - reference).abs().max().item<int>();
        Assert.IsLessThanOrEqualTo(maxDifference, largest, "largest difference in grey levels from the whole-strip resize");
    }

    [TestMethod]
    public void AnImageMoreElongatedThanTheLimitIsRejectedFromItsHeader()
    {
        // Each header claims a thin strip but carries at most one row of data: the shape is refused before decoding.
        var files = new (string Format, byte[] Bytes)[]
        {
            ("PNG", HandWrittenImages.PngClaimingSize(1_000_000, 1)),
            ("PNG (tall)", HandWrittenImages.PngClaimingSize(1, 10_000)),
            ("TIFF", HandWrittenTiff.ClaimingSize(1, 20_000)),
        };
        foreach (var (format, bytes) in files)
        {
            var e = Assert.ThrowsExactly<InvalidImageException>(() => ImageDecoder.DecodeRgb(bytes, ImageSizeLimit.Of(Options)).Dispose(), format);
            StringAssert.Contains(e.Message, nameof(ImagePreprocessingOptions.MaxAspectRatio), format);
            StringAssert.Contains(e.Message, "more than the limit of 100:1", format);
        }
    }

    [TestMethod]
    public void AStripAtTheLimitIsDecodedAndAStricterLimitRefusesIt()
    {
        using var scope = NewDisposeScope();
        var png = RgbImage.Noise(300, 3, seed: 1).EncodePng();

        var batch = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 32 }).CreateEvaluationBatch([png]);
        CollectionAssert.AreEqual(new long[] { 1, 3, 32, 32 }, batch.shape);

        var strict = TestAugmentation.Standard with { ImageSize = 32, MaxAspectRatio = 99.5 };
        var e = Assert.ThrowsExactly<InvalidImageException>(() => new ImageBatcher(strict).CreateEvaluationBatch([png]));
        StringAssert.Contains(e.Message, "300×3");
    }

    [TestMethod]
    public void MaxAspectRatioIsValidated()
    {
        foreach (var bad in new[] { 0.99, 0, -1, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => (Options with { MaxAspectRatio = bad }).Validate(), bad.ToString());
            Assert.AreEqual(nameof(ImagePreprocessingOptions.MaxAspectRatio), e.ParamName);
        }
        (Options with { MaxAspectRatio = 1 }).Validate();
        (Options with { MaxAspectRatio = double.PositiveInfinity }).Validate();
    }
}

using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class ImagePreprocessingOptionsTests
{
    [TestMethod]
    public void DefaultsAreValidAndFollowTheImageNetRecipe()
    {
        var defaults = new ImagePreprocessingOptions();
        defaults.Validate();
        // Null evaluation settings mean "the pretrained weights' values, else ImageNet's", which is what a batcher uses.
        Assert.IsNull(defaults.EvalCropFraction);
        Assert.IsNull(defaults.Interpolation);
        var resolved = defaults.WithEvaluationDefaults();
        Assert.AreEqual(0.875, resolved.EvalCropFraction);
        Assert.AreEqual(EvalResizeMode.ShorterSide, resolved.EvalResizeMode);
        Assert.AreEqual(ImageInterpolation.Bicubic, resolved.Interpolation);
        CollectionAssert.AreEqual(new[] { 0.485, 0.456, 0.406 }, resolved.Mean!.ToArray());
        CollectionAssert.AreEqual(new[] { 0.229, 0.224, 0.225 }, resolved.Std!.ToArray());
        Assert.AreEqual(resolved with { }, defaults.WithEvaluationDefaults().WithEvaluationDefaults(), "idempotent");
        Assert.IsTrue(defaults.RandomResizedCrop);
        Assert.AreEqual((1.0, 0.75, 4.0 / 3), (defaults.CropScaleMax, defaults.CropRatioMin, defaults.CropRatioMax));
        CollectionAssert.AreEqual(new[] { "ImageSize", "CropScaleMin", "HorizontalFlipProbability", "MixUpAlpha", "CutMixAlpha" },
            defaults.AutomaticProperties().ToArray(), "the data-dependent settings are automatic by default");

        var imageNet = NFNetTrainingOptions.DeepMindImageNet.Preprocessing;
        imageNet.Validate();
        Assert.AreEqual(224, imageNet.ImageSize);
        Assert.AreEqual(0.08, imageNet.CropScaleMin);
        Assert.AreEqual(0.5, imageNet.HorizontalFlipProbability);
        Assert.AreEqual((0.2, 1.0), (imageNet.MixUpAlpha, imageNet.CutMixAlpha), "DeepMind: MixUp(0.2) + CutMix");
        Assert.IsTrue(imageNet.MixesBatches);
    }

    public static IEnumerable<object[]> InvalidOptions() =>
    [
        [new ImagePreprocessingOptions { ImageSize = 0 }, "ImageSize"],
        [new ImagePreprocessingOptions { EvalCropFraction = 0 }, "EvalCropFraction"],
        [new ImagePreprocessingOptions { EvalCropFraction = 1.1 }, "EvalCropFraction"],
        [new ImagePreprocessingOptions { EvalResizeMode = (EvalResizeMode)7 }, "EvalResizeMode"],
        [new ImagePreprocessingOptions { Interpolation = (ImageInterpolation)7 }, "Interpolation"],
        [new ImagePreprocessingOptions { Mean = [0.5, double.NaN, 0.5] }, "Mean"],
        [new ImagePreprocessingOptions { Mean = [0.5, 0.5] }, "Mean"],
        [new ImagePreprocessingOptions { Std = [0.2, 0.2, 0] }, "Std"],
        [new ImagePreprocessingOptions { Std = [0.2, 0.2, 0.2, 0.2] }, "Std"],
        [new ImagePreprocessingOptions { MaxImagePixels = 0 }, "MaxImagePixels"],
        [new ImagePreprocessingOptions { CropScaleMin = 0 }, "CropScaleMin"],
        [new ImagePreprocessingOptions { CropScaleMin = 0.5, CropScaleMax = 0.4 }, "CropScaleMax"],
        [new ImagePreprocessingOptions { CropRatioMin = -1 }, "CropRatioMin"],
        [new ImagePreprocessingOptions { CropRatioMax = 0.5 }, "CropRatioMax"],
        [new ImagePreprocessingOptions { HorizontalFlipProbability = 1.5 }, "HorizontalFlipProbability"],
        [new ImagePreprocessingOptions { MixUpAlpha = -0.1 }, "MixUpAlpha"],
        [new ImagePreprocessingOptions { CutMixAlpha = double.PositiveInfinity }, "CutMixAlpha"],
        [new ImagePreprocessingOptions { MixProbability = -0.5 }, "MixProbability"],
        [new ImagePreprocessingOptions { SwitchProbability = 2 }, "SwitchProbability"],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidOptions))]
    public void InvalidValuesNameTheProperty(ImagePreprocessingOptions options, string property)
    {
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        Assert.AreEqual(property, exception.ParamName);
        StringAssert.Contains(exception.Message, $"ImagePreprocessingOptions.{property}");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageBatcher(options), "consumers validate");
    }

    [TestMethod]
    public void RoundTripsThroughJson()
    {
        var options = new ImagePreprocessingOptions
        {
            ImageSize = 192, EvalCropFraction = 0.9, EvalResizeMode = EvalResizeMode.Squash,
            Interpolation = ImageInterpolation.Bilinear, Mean = [0.5, 0.4, 0.3], Std = [0.2, 0.3, 0.25], MaxImagePixels = 1000,
            RandomResizedCrop = false, CropScaleMin = 0.2, CropRatioMax = 2, HorizontalFlipProbability = 0,
            MixUpAlpha = 0.2, CutMixAlpha = 1, MixProbability = 0.8, SwitchProbability = 0.3,
        };
        var restored = JsonSerializer.Deserialize<ImagePreprocessingOptions>(JsonSerializer.Serialize(options));
        Assert.AreEqual(options, restored);
    }
}

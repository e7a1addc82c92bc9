using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>The server's pixel limit: (16 × the model's resize side)², at least 4,096², at most the model's own limit.</summary>
[TestClass]
public class ServingPixelLimitTests
{
    [TestMethod]
    [DataRow(32, null, 0.875, ImagePreprocessingOptions.DefaultMaxImagePixels, 4096L * 4096)] // side 36: the floor
    [DataRow(224, null, 0.875, ImagePreprocessingOptions.DefaultMaxImagePixels, 4096L * 4096)] // side 256: 4,096² exactly
    [DataRow(192, 384, 1.0, ImagePreprocessingOptions.DefaultMaxImagePixels, 6144L * 6144)] // side 384
    [DataRow(192, 320, 0.9, ImagePreprocessingOptions.DefaultMaxImagePixels, 16L * 355 * 16 * 355)] // side floor(320 / 0.9) = 355
    [DataRow(256, 576, 0.956, ImagePreprocessingOptions.DefaultMaxImagePixels, ImagePreprocessingOptions.DefaultMaxImagePixels)] // F6: capped
    [DataRow(224, null, 0.875, 1_000_000L, 1_000_000L)] // the model's own lower limit wins
    public void TheDerivedLimitFollowsTheModelsResizeSide(int imageSize, int? evalImageSize, double crop, long modelLimit, long expected)
    {
        var preprocessing = new ImagePreprocessingOptions
        {
            ImageSize = imageSize, EvalImageSize = evalImageSize, EvalCropFraction = crop, MaxImagePixels = modelLimit,
        };

        Assert.AreEqual(expected, ServingPixelLimit.For(null, preprocessing).Pixels);
    }

    [TestMethod]
    public void AConfiguredLimitWinsAndAModelWithoutAnNFNetStageGetsTheFloor()
    {
        Assert.AreEqual(123L, ServingPixelLimit.For(123, new ImagePreprocessingOptions { ImageSize = 224 }).Pixels);
        Assert.AreEqual(ServingPixelLimit.Floor, ServingPixelLimit.For(null, null).Pixels);
    }

    [TestMethod]
    public void TheServedModelsLimitComesFromItsSavedPreprocessing()
    {
        using var classifier = ImageClassifier.Load(SavedModelFiles.ModelPath);

        Assert.AreEqual(32, classifier.Preprocessing?.ImageSize, "format-1 model: trained and scored at 32 px");
        Assert.AreEqual(ServingPixelLimit.Floor, ServingPixelLimit.For(null, classifier.Preprocessing).Pixels);
    }
}

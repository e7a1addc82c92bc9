namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>Preprocessing with every automatic setting given (the standard ImageNet augmentation), for tests that
/// build batches directly with <see cref="ImageBatcher"/>, which needs them set.</summary>
internal static class TestAugmentation
{
    public static ImagePreprocessingOptions Standard { get; } = new()
    {
        ImageSize = 224,
        CropScaleMin = 0.08,
        HorizontalFlipProbability = 0.5,
        MixUpAlpha = 0,
        CutMixAlpha = 0,
    };
}

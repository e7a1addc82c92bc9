
namespace Microsoft.ML.NFNet;

/// <summary>
/// How pretrained weights were trained and evaluated (timm's <c>pretrained_cfg</c>): the defaults of a run that starts
/// from them. Null values are unknown (the ImageNet defaults then apply).
/// </summary>
/// <param name="TrainSize">timm <c>input_size</c>: the training resolution.</param>
/// <param name="TestSize">timm <c>test_input_size</c>: the resolution the weights score best at; null: <paramref name="TrainSize"/>.</param>
/// <param name="CropFraction">timm <c>crop_pct</c>: the evaluation crop at <paramref name="TrainSize"/>.</param>
/// <param name="TestCropFraction">timm <c>test_crop_pct</c>: the evaluation crop at <paramref name="TestSize"/>.</param>
/// <param name="CropMode">timm <c>crop_mode</c>.</param>
/// <param name="Interpolation">timm <c>interpolation</c>.</param>
/// <param name="Mean">timm <c>mean</c> (red, green, blue).</param>
/// <param name="Std">timm <c>std</c>.</param>
internal sealed record PretrainedPreprocessing(int? TrainSize, int? TestSize, double? CropFraction, double? TestCropFraction,
    EvalResizeMode? CropMode, ImageInterpolation? Interpolation, IReadOnlyList<double>? Mean, IReadOnlyList<double>? Std)
{
    /// <summary>The catalog's values for published weights.</summary>
    public static PretrainedPreprocessing Of(NFNetPretrainedWeights weights) => new(weights.TrainImageSize, weights.TestImageSize,
        weights.CropFraction, weights.TestCropFraction ?? weights.CropFraction, weights.CropMode, weights.Interpolation, weights.Mean,
        weights.Std);

    /// <summary>What a model trained by this library scores with (saved with it): its scoring crop at both sizes.</summary>
    public static PretrainedPreprocessing Of(ImagePreprocessingOptions saved)
    {
        var (meanRed, meanGreen, meanBlue) = saved.ResolvedMean;
        var (stdRed, stdGreen, stdBlue) = saved.ResolvedStd;
        return new(saved.ImageSize, saved.EvalImageSize, saved.EvalCropFraction, saved.EvalCropFraction, saved.EvalResizeMode,
            saved.Interpolation, [meanRed, meanGreen, meanBlue], [stdRed, stdGreen, stdBlue]);
    }
}

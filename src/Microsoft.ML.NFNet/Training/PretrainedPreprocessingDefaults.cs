
namespace Microsoft.ML.NFNet;

/// <summary>
/// The preprocessing settings of a run that starts from pretrained weights: every one the user left null follows the
/// weights' configuration (timm's <c>pretrained_cfg</c>): the training resolution for training, the test resolution and
/// its crop for scoring, the crop mode, the filter, and the normalisation. A value the user set always wins.
/// </summary>
internal static class PretrainedPreprocessingDefaults
{
    public static ImagePreprocessingOptions Apply(ImagePreprocessingOptions given, PretrainedPreprocessing pretrained, string source,
        AutomaticChoices choices)
    {
        var imageSize = Choose(given.ImageSize, "ImageSize", pretrained.TrainSize, $"the training resolution of {source}", choices);
        // The test resolution belongs to the training one: a user who picks another training size scores at that size.
        var evalImageSize = given.ImageSize is null && pretrained.TestSize is { } test && test != imageSize
            ? Choose(given.EvalImageSize, "EvalImageSize", test, $"the test resolution of {source}", choices)
            : given.EvalImageSize;
        var scoresAtTestSize = pretrained.TestSize is { } testSize && (evalImageSize ?? imageSize) == testSize
            && testSize != pretrained.TrainSize;
        var crop = scoresAtTestSize ? pretrained.TestCropFraction ?? pretrained.CropFraction : pretrained.CropFraction;
        var mean = pretrained.Mean;
        var std = pretrained.Std;
        return given with
        {
            ImageSize = imageSize,
            EvalImageSize = evalImageSize,
            EvalCropFraction = Choose(given.EvalCropFraction, "EvalCropFraction", crop,
                $"the {(scoresAtTestSize ? "test " : "")}crop fraction of {source}", choices),
            EvalResizeMode = Choose(given.EvalResizeMode, "EvalResizeMode", pretrained.CropMode, $"the crop mode of {source}", choices),
            Interpolation = Choose(given.Interpolation, "Interpolation", pretrained.Interpolation, $"the filter of {source}", choices),
            MeanRed = Choose(given.MeanRed, "MeanRed", mean?[0], $"the normalisation of {source}", choices),
            MeanGreen = Choose(given.MeanGreen, "MeanGreen", mean?[1], $"the normalisation of {source}", choices),
            MeanBlue = Choose(given.MeanBlue, "MeanBlue", mean?[2], $"the normalisation of {source}", choices),
            StdRed = Choose(given.StdRed, "StdRed", std?[0], $"the normalisation of {source}", choices),
            StdGreen = Choose(given.StdGreen, "StdGreen", std?[1], $"the normalisation of {source}", choices),
            StdBlue = Choose(given.StdBlue, "StdBlue", std?[2], $"the normalisation of {source}", choices),
        };
    }

    // Unknown pretrained values stay null: the ImageNet defaults apply later.
    private static T? Choose<T>(T? given, string name, T? pretrained, string why, AutomaticChoices choices) where T : struct =>
        given is not null || pretrained is null ? given : choices.Choose(given, name, pretrained.Value, why);
}

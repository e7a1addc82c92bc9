
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
        return given with
        {
            ImageSize = imageSize,
            EvalImageSize = evalImageSize,
            EvalCropFraction = Choose(given.EvalCropFraction, "EvalCropFraction", crop,
                $"the {(scoresAtTestSize ? "test " : "")}crop fraction of {source}", choices),
            EvalResizeMode = Choose(given.EvalResizeMode, "EvalResizeMode", pretrained.CropMode, $"the crop mode of {source}", choices),
            Interpolation = Choose(given.Interpolation, "Interpolation", pretrained.Interpolation, $"the filter of {source}", choices),
            Mean = ChooseList(given.Mean, "Mean", pretrained.Mean, $"the normalisation of {source}", choices),
            Std = ChooseList(given.Std, "Std", pretrained.Std, $"the normalisation of {source}", choices),
        };
    }

    private static IReadOnlyList<double>? ChooseList(IReadOnlyList<double>? given, string name, IReadOnlyList<double>? pretrained,
        string why, AutomaticChoices choices)
    {
        if (given is not null || pretrained is null)
            return given;
        choices.Add($"{name} = ({string.Join(", ", pretrained.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}) ({why})");
        return pretrained;
    }

    // Unknown pretrained values stay null: the ImageNet defaults apply later.
    private static T? Choose<T>(T? given, string name, T? pretrained, string why, AutomaticChoices choices) where T : struct =>
        given is not null || pretrained is null ? given : choices.Choose(given, name, pretrained.Value, why);
}

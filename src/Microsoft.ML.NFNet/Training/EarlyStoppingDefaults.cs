namespace Microsoft.ML.NFNet;

/// <summary>
/// The automatic early-stopping settings, the same whether the network starts from random or pretrained weights: they
/// depend only on the epochs and on the size of the validation set.
/// </summary>
internal static class EarlyStoppingDefaults
{
    /// <summary>Resolves <paramref name="stopping"/>'s automatic settings (null: no early stopping).</summary>
    public static EarlyStoppingOptions? Apply(EarlyStoppingOptions? stopping, int epochs, int validationImages, AutomaticChoices choices)
    {
        if (stopping is null)
            return null;
        var selects = validationImages >= EarlyStoppingOptions.MinimumValidationImagesToSelect;
        return stopping with
        {
            Patience = SmallValidation(validationImages)
                ? choices.Choose(stopping.Patience, "EarlyStopping.Patience", epochs,
                    $"all {epochs} epochs: {validationImages:N0} validation images are too few to stop on")
                : choices.Choose(stopping.Patience, "EarlyStopping.Patience", Patience(epochs),
                    $"half of the {epochs} epochs: validation improves most at the end of the cosine schedule"),
            RestoreBestWeights = validationImages > 0
                ? choices.Choose(stopping.RestoreBestWeights, "EarlyStopping.RestoreBestWeights", selects, selects
                    ? $"{validationImages:N0} validation images pick the best epoch reliably"
                    : $"only {validationImages:N0} validation images: the best of many epochs is mostly the luckiest; " +
                      "the last one, at the end of the cosine schedule, is kept")
                : stopping.RestoreBestWeights,
        };
    }

    /// <summary>A validation set too small to choose among epochs (or to stop on): its noise exceeds their differences.</summary>
    internal static bool SmallValidation(int validationImages) =>
        validationImages is > 0 and < EarlyStoppingOptions.MinimumValidationImagesToSelect;

    /// <summary>Half of the epochs, at least <see cref="EarlyStoppingOptions.MinimumPatience"/>.</summary>
    internal static int Patience(int epochs) => Math.Max(EarlyStoppingOptions.MinimumPatience, epochs / 2);
}

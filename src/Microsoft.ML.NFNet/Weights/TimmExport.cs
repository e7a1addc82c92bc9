
namespace Microsoft.ML.NFNet;

/// <summary>
/// Hands a network to PyTorch: a folder in the layout timm publishes on the Hugging Face hub, which
/// <c>timm.create_model("local-dir:&lt;folder&gt;")</c> (or <c>"hf-hub:&lt;repo&gt;"</c> once pushed) loads with its
/// preprocessing, and which <c>PretrainedWeights</c> reads back.
/// </summary>
internal static class TimmExport
{
    /// <summary>The weights file of an export.</summary>
    internal const string WeightsFileName = "model.safetensors";

    /// <summary>The configuration file of an export (timm's hub <c>config.json</c>).</summary>
    internal const string ConfigFileName = TimmHubConfig.FileName;

    /// <summary>
    /// Writes <c>model.safetensors</c> (timm's tensor names) and timm's hub <c>config.json</c> (<c>architecture</c>,
    /// <c>num_classes</c>, <c>label_names</c>, <c>pretrained_cfg</c> with the preprocessing, and timm's <c>NfCfg</c> fields
    /// as <c>nf_cfg</c>, plus <c>model_args</c> when timm has no name for the architecture) into <paramref name="directory"/>.
    /// </summary>
    /// <param name="model">The network.</param>
    /// <param name="directory">The folder; created if needed. Files of an earlier export there are replaced; other files are
    /// left alone.</param>
    /// <param name="preprocessing">How the model scores (resolution, crop, filter, mean, std); null: ImageNet's values at
    /// the architecture's recommended sizes.</param>
    /// <param name="labels">The class names in output order, or null.</param>
    /// <remarks>Both files are written into a temporary folder first and then renamed into place, so a failure (NaN
    /// weights, a full disk) leaves nothing half-written.</remarks>
    /// <exception cref="InvalidOperationException">A parameter holds NaN or ∞ (named); nothing is written.</exception>
    /// <exception cref="NotSupportedException">The architecture cannot be described to timm (tanh-GELU).</exception>
    public static void Write(NFNetModel model, string directory, ImagePreprocessingOptions? preprocessing = null,
        IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (labels is not null && labels.Count != model.NumClasses)
            throw new ArgumentException($"Got {labels.Count} label names for the model's {model.NumClasses} classes.", nameof(labels));
        var config = model.Config;
        preprocessing = (preprocessing ?? new ImagePreprocessingOptions
        {
            ImageSize = config.TrainImageSize,
            EvalImageSize = config.TestImageSize == config.TrainImageSize ? null : config.TestImageSize,
        }).WithEvaluationDefaults();
        preprocessing.Validate();
        if (preprocessing.ImageSize is null)
            throw new ArgumentException("The preprocessing's ImageSize is null (automatic); export a trained model's preprocessing, " +
                "or set ImageSize.", nameof(preprocessing));
        var json = TimmHubConfig.Create(config, model.NumClasses, model.NumFeatures, labels, preprocessing);

        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target.TrimEnd(Path.DirectorySeparatorChar))}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            ModelWeights.Save(model, Path.Combine(temp, WeightsFileName));
            TimmHubConfig.Write(json, Path.Combine(temp, ConfigFileName));
            if (!Directory.Exists(target))
            {
                Directory.Move(temp, target);
                return;
            }
            // An existing folder may hold the user's own files (a hub repository clone): replace only ours, each by a rename.
            File.Move(Path.Combine(temp, WeightsFileName), Path.Combine(target, WeightsFileName), overwrite: true);
            File.Move(Path.Combine(temp, ConfigFileName), Path.Combine(target, ConfigFileName), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }
}


namespace Microsoft.ML.NFNet;

/// <summary>What a weights string resolves to: a loaded network (owned by the caller), the preprocessing its weights
/// expect for scoring.</summary>
/// <param name="Model">The network with the weights loaded; the caller owns (and disposes) it.</param>
/// <param name="Preprocessing">Scoring preprocessing: the weights' pretrained configuration (catalog entry, timm
/// <c>config.json</c>, saved model), else the published configuration of their architecture, else its recommended sizes.</param>
/// <param name="Description">Where the weights came from, for messages and the log.</param>
internal sealed record ResolvedWeights(NFNetModel Model, ImagePreprocessingOptions Preprocessing, string Description);

/// <summary>
/// A weights string resolved to a ready network, for options that use the weights as they are (the featurizer's
/// <c>weights</c>): the same resolution as the trainer's <c>PretrainedWeights</c> (<see cref="PretrainedStart"/>), so
/// every option that takes weights accepts the same strings with the same errors.
/// </summary>
internal static class PretrainedWeightsSource
{
    /// <param name="weights">The string to resolve.</param>
    /// <param name="optionName">The option or parameter that held it, named in errors.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="ArgumentException">Empty, an unknown catalog name (the known ones are listed), or a model zip
    /// that holds no NFNet model.</exception>
    /// <exception cref="FileNotFoundException">A path to a file that does not exist.</exception>
    /// <exception cref="InvalidDataException">A file that is neither a safetensors file nor a model zip, is corrupt or
    /// truncated, holds NaN/∞, or fits no known architecture (the closest one and the differing tensors are named).</exception>
    /// <exception cref="HubDownloadException">A catalog file could not be downloaded (or is not cached, offline).</exception>
    public static ResolvedWeights Resolve(string weights, string optionName, CancellationToken cancellationToken = default)
    {
        using var start = PretrainedStart.Resolve(weights, optionName, explicitArchitecture: null, download: null, log: null, cancellationToken);
        var preprocessing = start.Preprocessing is { } pretrained
            ? PretrainedPreprocessingDefaults.Apply(new ImagePreprocessingOptions(), pretrained, start.Description, new AutomaticChoices())
            : new ImagePreprocessingOptions { ImageSize = start.Architecture.TrainImageSize, EvalImageSize = start.Architecture.TestImageSize };
        preprocessing = preprocessing with { ImageSize = preprocessing.ImageSize ?? start.Architecture.TrainImageSize };
        var model = new NFNetModel(start.Architecture, start.ClassCount);
        try
        {
            start.LoadInto(model, start.Labels);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new ResolvedWeights(model, preprocessing, start.Description);
    }
}

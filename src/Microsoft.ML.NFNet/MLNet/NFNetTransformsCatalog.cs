using Microsoft.ML.Data;
using Microsoft.ML.NFNet;

namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Transforms.NFNetFeaturizeImage(...)</c>. In namespace <c>Microsoft.ML</c> (as ML.NET's own catalogs
/// are) so no extra <c>using</c> is needed.
/// </summary>
public static class NFNetTransformsCatalog
{
    /// <summary>
    /// Adds the pooled NFNet features of each encoded image in <paramref name="inputColumnName"/> as a vector of floats
    /// in <paramref name="outputColumnName"/>, for any ML.NET trainer or similarity search.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature column to add.</param>
    /// <param name="inputColumnName">The column of encoded image bytes (a byte vector).</param>
    /// <param name="weights">A published weights name (e.g. <c>eca_nfnet_l0.ra2_in1k</c>, downloaded on first use), a
    /// <c>.safetensors</c> file with timm's tensor names, or a model zip saved from a pipeline with <c>Trainers.NFNet</c>
    /// or <c>NFNetFeaturizeImage</c>.</param>
    /// <exception cref="ArgumentException">Unknown weights name, or a model zip without an NFNet model.</exception>
    /// <exception cref="FileNotFoundException">A weights path that does not exist.</exception>
    /// <exception cref="InvalidDataException">A weights file that cannot be used (the message says why).</exception>
    public static NFNetImageFeaturizerEstimator NFNetFeaturizeImage(this TransformsCatalog catalog, string outputColumnName,
        string inputColumnName, string weights)
        => catalog.NFNetFeaturizeImage(new NFNetImageFeaturizerEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Weights = weights,
        });

    /// <summary>The NFNet featurizer with the given settings.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The featurizer settings.</param>
    public static NFNetImageFeaturizerEstimator NFNetFeaturizeImage(this TransformsCatalog catalog, NFNetImageFeaturizerEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new NFNetImageFeaturizerEstimator(catalog.GetEnvironment(), options);
    }
}

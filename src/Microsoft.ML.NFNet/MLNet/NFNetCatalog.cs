using Microsoft.ML.Data;
using Microsoft.ML.NFNet;

namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.MulticlassClassification.Trainers.NFNet(...)</c>. In namespace <c>Microsoft.ML</c> (as ML.NET's own
/// catalogs are) so no extra <c>using</c> is needed; the parameters match <c>ImageClassification(...)</c>'s, so Model
/// Builder's generated pipeline works with the trainer name changed.
/// </summary>
public static class NFNetCatalog
{
    /// <summary>An NFNet image classifier trained on encoded image bytes and a key label, with default settings.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="featureColumnName">The encoded image bytes column.</param>
    /// <param name="scoreColumnName">The output column of class probabilities.</param>
    /// <param name="predictedLabelColumnName">The output column of the predicted class.</param>
    /// <param name="validationSet">Validation data; null splits 10 % off the training data.</param>
    public static NFNetImageClassificationTrainer NFNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label,
        string featureColumnName = DefaultColumnNames.Features,
        string scoreColumnName = DefaultColumnNames.Score,
        string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        IDataView? validationSet = null)
        => catalog.NFNet(new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            ValidationSet = validationSet,
        });

    /// <summary>An NFNet image classifier with the given settings.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The trainer settings.</param>
    public static NFNetImageClassificationTrainer NFNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        NFNetImageClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new NFNetImageClassificationTrainer(catalog.GetEnvironment(), options);
    }
}

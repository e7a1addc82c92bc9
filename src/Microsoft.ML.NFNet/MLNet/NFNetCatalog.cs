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
    /// <summary>An NFNet image classifier trained on encoded image bytes and a key label: the parameters of ML.NET's
    /// <c>ImageClassification(...)</c> in the same order, then what a Model Builder user sets most (the weights to start
    /// from, the time to train); everything else is chosen from the data.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="featureColumnName">The encoded image bytes column.</param>
    /// <param name="scoreColumnName">The output column of class probabilities.</param>
    /// <param name="predictedLabelColumnName">The output column of the predicted class.</param>
    /// <param name="validationSet">Validation data; null splits 10 % off the training data.</param>
    /// <param name="pretrainedWeights">Weights to fine-tune (a published name such as <c>"eca_nfnet_l0.ra2_in1k"</c>, a
    /// file, a folder or a model zip; see <see cref="NFNetImageClassificationTrainer.Options.PretrainedWeights"/>); null
    /// trains a small network from scratch.</param>
    /// <param name="maxTrainingTime">The longest the training may take (Model Builder's "time to train"); null: no limit.</param>
    public static NFNetImageClassificationTrainer NFNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label,
        string featureColumnName = DefaultColumnNames.Features,
        string scoreColumnName = DefaultColumnNames.Score,
        string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        IDataView? validationSet = null,
        string? pretrainedWeights = null,
        TimeSpan? maxTrainingTime = null)
        => catalog.NFNet(new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            ValidationSet = validationSet,
            PretrainedWeights = pretrainedWeights,
            Training = { MaxTrainingTime = maxTrainingTime },
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

using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Samples;

/// <summary>
/// Training, in the shape ML.NET Model Builder generates for image classification (its <c>*.training.cs</c>):
/// <see cref="LoadImageFromFolder"/>, <see cref="BuildPipeline"/> and <see cref="RetrainPipeline"/>. The pipeline is
/// Model Builder's with <c>ImageClassification</c> replaced by <c>NFNet</c>.
/// </summary>
public partial class MLModel
{
    /// <summary>Reads a folder with one sub-folder of images per class; the label is the sub-folder's name.</summary>
    public static IDataView LoadImageFromFolder(MLContext mlContext, string folder) =>
        mlContext.Data.LoadFromEnumerable(ReadImageFolder(folder));

    /// <summary>The rows <see cref="LoadImageFromFolder"/> reads, as a list (to split them or pick some).</summary>
    /// <param name="folder">One sub-folder of images per class.</param>
    /// <param name="minimumClasses">2 to train (a classifier needs two classes); 1 to evaluate.</param>
    public static List<ModelInput> ReadImageFolder(string folder, int minimumClasses = 1)
    {
        // The library's reader checks the layout (a missing folder, a class folder without images) and knows every image
        // extension its decoders read.
        var images = ImageDataSource.FromFolder(folder);
        if (images.ClassCount < minimumClasses)
            throw new InvalidDataException($"'{folder}' has {images.ClassCount} class folder(s); training needs at least " +
                                           $"{minimumClasses} (one sub-folder of images per class).");
        return Enumerable.Range(0, images.Count).Select(i => images[i])
            .Select(image => new ModelInput { Label = images.ClassNames![image.Label], ImageSource = image.Encoded.ToArray() })
            .ToList();
    }

    /// <summary>
    /// Class names to keys, the NFNet trainer on the encoded image bytes, keys back to class names. Settings left null in
    /// <paramref name="settings"/> are chosen from the data by the trainer, which explains each choice in the model's
    /// <c>Training.AutomaticChoices</c>.
    /// </summary>
    /// <param name="mlContext">The context (its seed is not the trainer's: <see cref="TrainingSettings.Seed"/> is).</param>
    /// <param name="settings">What the command line sets.</param>
    /// <param name="validationData">Validation rows with key labels (see <see cref="RetrainPipeline"/>); null trains on
    /// everything.</param>
    /// <param name="onMetrics">Called with the progress of every batch and at the end of every epoch.</param>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, TrainingSettings settings,
        IDataView? validationData = null, Action<TrainingMetrics>? onMetrics = null)
    {
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            Architecture = NFNetConfig.Variant(settings.Architecture),
            ValidationSet = validationData,
            ValidationSetFraction = 0,
        };
        options.Training.Epochs = settings.Epochs;
        options.Training.BatchSize = settings.BatchSize;
        options.Training.Seed = settings.Seed;
        options.Training.MetricsCallback = onMetrics;
        options.Training.Optimizer.LearningRate = settings.LearningRate;
        options.Training.Preprocessing.ImageSize = settings.ImageSize;

        return mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.NFNet(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));
    }

    /// <summary>Fits <see cref="BuildPipeline"/> on <paramref name="trainData"/>, validating on <paramref name="validationData"/>
    /// after every epoch when given.</summary>
    public static ITransformer RetrainPipeline(MLContext mlContext, IDataView trainData, TrainingSettings settings,
        IDataView? validationData = null, Action<TrainingMetrics>? onMetrics = null)
    {
        // The trainer compares validation labels as keys: map them with the training data's classes.
        var keyedValidation = validationData is null
            ? null
            : mlContext.Transforms.Conversion.MapValueToKey("Label", "Label").Fit(trainData).Transform(validationData);
        return BuildPipeline(mlContext, settings, keyedValidation, onMetrics).Fit(trainData);
    }
}

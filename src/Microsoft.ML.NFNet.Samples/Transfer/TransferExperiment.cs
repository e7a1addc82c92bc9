using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>
/// Trains one classifier for the new classes in one <see cref="TransferMode"/> with the trainer's automatic settings,
/// and measures its test accuracy and its training time (reading the rows, the backbone's features and the epochs; test
/// scoring excluded).
/// </summary>
/// <param name="pretrained">The pretrained weights, as <c>PretrainedWeights</c> takes them (here an ExportTimm folder).</param>
/// <param name="shape">What the pretrained folder holds (from scratch trains the same architecture).</param>
/// <param name="test">The images the accuracy is measured on.</param>
/// <param name="seed">The trainer's seed.</param>
public sealed class TransferExperiment(string pretrained, PretrainedShape shape, IReadOnlyList<MLModel.ModelInput> test, int seed)
{
    private const int ScoringBatch = 64;

    /// <summary>Changes the trainer's options of a mode before <c>Fit</c>: the benchmark overrides automatic settings with it.</summary>
    public Action<TransferMode, MLContext, NFNetImageClassificationTrainer.Options>? Configure { get; init; }

    /// <summary>Trains on <paramref name="train"/> in <paramref name="mode"/> and scores the test images.</summary>
    public TransferResult Run(TransferMode mode, IReadOnlyList<MLModel.ModelInput> train, int perClass)
    {
        var clock = Stopwatch.StartNew();
        var (predict, training) = mode == TransferMode.Features ? TrainOnFeatures(train) : TrainNFNet(mode, train);
        var duration = clock.Elapsed;
        var accuracy = test.Zip(predict(test)).Count(p => p.First.Label == p.Second) / (double)test.Count;
        return new TransferResult(mode, perClass, accuracy, duration, training?.EpochsCompleted ?? 0, training?.AutomaticChoices ?? []);
    }

    private (Func<IReadOnlyList<MLModel.ModelInput>, string[]> Predict, NFNetTrainingResult? Training) TrainNFNet(TransferMode mode,
        IReadOnlyList<MLModel.ModelInput> train)
    {
        var mlContext = new MLContext(seed: seed);
        var fromScratch = mode == TransferMode.Scratch;
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            ValidationSetFraction = 0,
            PretrainedWeights = fromScratch ? null : pretrained,
            Architecture = fromScratch ? shape.Architecture : null,
        };
        options.Training.Seed = seed;
        // From scratch: the pretrained network's architecture with the from-scratch defaults (on 28 px images they
        // choose its 32 px too, and more epochs than fine-tuning).
        if (!fromScratch)
        {
            options.Training.TrainableParts = mode switch
            {
                TransferMode.Head => NFNetTrainableParts.Head,
                TransferMode.LastStage => NFNetTrainableParts.LastStages,
                _ => NFNetTrainableParts.All,
            };
        }
        Configure?.Invoke(mode, mlContext, options);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.NFNet(options));
        var parameters = NFNetModelParameters.FindIn(pipeline.Fit(mlContext.Data.LoadFromEnumerable(train)))!;
        var labels = parameters.Labels!;
        string[] Predict(IReadOnlyList<MLModel.ModelInput> images) => parameters
            .PredictProbabilities(images.Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray(), ScoringBatch)
            .Select(p => labels[Array.IndexOf(p, p.Max())]).ToArray();
        return (Predict, parameters.Training);
    }

    // ML.NET's own pipeline: the NFNet featurizer (weights as PretrainedWeights takes them), then any ML.NET trainer.
    private (Func<IReadOnlyList<MLModel.ModelInput>, string[]> Predict, NFNetTrainingResult? Training) TrainOnFeatures(
        IReadOnlyList<MLModel.ModelInput> train)
    {
        var mlContext = new MLContext(seed: seed);
        var pipeline = mlContext.Transforms.NFNetFeaturizeImage("Features", "ImageSource", pretrained)
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
            .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"))
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(mlContext.Data.LoadFromEnumerable(train));
        string[] Predict(IReadOnlyList<MLModel.ModelInput> images) =>
            model.Transform(mlContext.Data.LoadFromEnumerable(images)).GetColumn<string>("PredictedLabel").ToArray();
        return (Predict, null);
    }
}

/// <summary>
/// What a pretrained ExportTimm folder holds, as its <c>config.json</c> states it: the architecture (this library's
/// section), the class count of its head, and the preprocessing.
/// </summary>
public sealed record PretrainedShape(NFNetConfig Architecture, int ClassCount, ImagePreprocessingOptions Preprocessing)
{
    public int ImageSize => Preprocessing.ImageSize!.Value;

    public static PretrainedShape Read(string folder)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, NFNetModelExtensions.TimmConfigFileName)));
        var own = config.RootElement.GetProperty("microsoft_ml_nfnet");
        var preprocessing = own.GetProperty("preprocessing").Deserialize<ImagePreprocessingOptions>(
            new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } })!;
        return new PretrainedShape(NFNetConfig.FromJson(own.GetProperty("config").GetRawText()),
            config.RootElement.GetProperty("num_classes").GetInt32(), preprocessing);
    }
}

using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet.Samples.Consumption;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>
/// Trains one classifier for the new classes in one <see cref="TransferMode"/> and measures its test accuracy and its
/// training time (data reading, the backbone's features and training; test scoring excluded).
/// </summary>
internal sealed class TransferExperiment(string pretrained, PretrainedShape shape, IReadOnlyList<ModelInput> test, int seed,
    bool verbose = false)
{
    private const int ScoringBatch = 64;

    public TransferResult Run(TransferMode mode, IReadOnlyList<ModelInput> train, int perClass, TransferOverrides overrides, int? scratchEpochs)
    {
        var loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        var (predict, epochs, settings) = mode == TransferMode.Features
            ? TrainOnFeatures(train)
            : TrainNFNet(mode, train, overrides, scratchEpochs);
        var duration = clock.Elapsed;
        var predicted = predict(test);
        var accuracy = test.Zip(predicted).Count(p => p.First.Label == p.Second) / (double)test.Count;
        return new TransferResult(mode, perClass, accuracy, duration, epochs, settings, loadBefore, LoadAverage());
    }

    private (Func<IReadOnlyList<ModelInput>, string[]> Predict, int Epochs, string Settings) TrainNFNet(TransferMode mode,
        IReadOnlyList<ModelInput> train, TransferOverrides overrides, int? scratchEpochs)
    {
        var mlContext = new MLContext(seed: seed);
        if (verbose)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            mlContext.Log += (_, e) =>
            {
                if (e.Kind != Runtime.ChannelMessageKind.Trace && e.Source.Contains("NFNet", StringComparison.Ordinal))
                    Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,6:0.0} s] {e.Message}");
            };
        }
        var data = mlContext.Data.LoadFromEnumerable(train);
        var epochs = 0;
        var fromScratch = mode == TransferMode.Scratch;
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            ValidationSetFraction = 0,
            PretrainedWeights = fromScratch ? null : pretrained,
            Architecture = fromScratch ? shape.Architecture : null,
            Training = new NFNetTrainingOptions
            {
                Seed = seed,
                Epochs = overrides.Epochs ?? (fromScratch ? scratchEpochs : null),
                LogEveryBatches = 0,
                MetricsCallback = m => { if (m.IsEpochEnd) epochs++; },
                Preprocessing = new ImagePreprocessingOptions
                {
                    // From scratch at the resolution the pretrained weights use, so both see the same pixels.
                    ImageSize = fromScratch ? shape.ImageSize : null,
                    CropScaleMin = overrides.CropScaleMin,
                    RandomResizedCrop = !overrides.NoAugmentation,
                    HorizontalFlipProbability = overrides.NoAugmentation ? 0 : null,
                },
                Optimizer = new NFNetOptimizerOptions { LearningRate = overrides.LearningRate, WarmupEpochs = overrides.WarmupEpochs },
                TrainableParts = fromScratch ? null : mode switch
                {
                    TransferMode.Head => NFNetTrainableParts.Head,
                    TransferMode.LastStage => NFNetTrainableParts.LastStages,
                    _ => NFNetTrainableParts.All,
                },
                BackboneLearningRateFactor = fromScratch ? null : overrides.BackboneFactor,
            },
        };
        var trainer = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(mlContext.MulticlassClassification.Trainers.NFNet(options));
        var model = trainer.Fit(data);
        var parameters = NFNetModelParameters.FindIn(model)!;
        var labels = parameters.Labels!;
        var choices = parameters.Training!.AutomaticChoices;
        string[] Predict(IReadOnlyList<ModelInput> images) => parameters.PredictProbabilities(
                images.Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray(), ScoringBatch)
            .Select(p => labels[Array.IndexOf(p, p.Max())]).ToArray();
        return (Predict, epochs, Describe(choices, overrides));
    }

    // ML.NET's own pipeline: the NFNet featurizer (weights as PretrainedWeights takes them), then any ML.NET trainer.
    private (Func<IReadOnlyList<ModelInput>, string[]> Predict, int Epochs, string Settings) TrainOnFeatures(IReadOnlyList<ModelInput> train)
    {
        var mlContext = new MLContext(seed: seed);
        var pipeline = mlContext.Transforms.NFNetFeaturizeImage("Features", "ImageSource", pretrained)
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
            .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"))
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(mlContext.Data.LoadFromEnumerable(train));
        string[] Predict(IReadOnlyList<ModelInput> images) =>
            model.Transform(mlContext.Data.LoadFromEnumerable(images)).GetColumn<string>("PredictedLabel").ToArray();
        return (Predict, 0, "NFNetFeaturizeImage, NormalizeMeanVariance, LbfgsMaximumEntropy defaults");
    }

    private static string Describe(IReadOnlyList<string> choices, TransferOverrides overrides)
    {
        string Value(string name) => choices.FirstOrDefault(c => c.StartsWith(name + " = ", StringComparison.Ordinal))?.Split(" = ")[1].Split(" (")[0] ?? "";
        var automatic = string.Join(", ", new[] { ("lr", "LearningRate"), ("warm-up", "WarmupEpochs"), ("crop ≥", "CropScaleMin"),
                ("backbone ×", "FineTuning.BackboneLearningRateFactor") }
            .Select(p => (p.Item1, Value: Value(p.Item2))).Where(p => p.Value.Length > 0).Select(p => $"{p.Item1} {p.Value}"));
        return overrides.ToString() == "automatic" ? $"automatic ({automatic})" : $"{overrides}; automatic: {automatic}";
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}

/// <summary>
/// What the shipped pretrained folder holds, as its <c>config.json</c> states it: the architecture, the class count of
/// its head, and the preprocessing (from scratch trains the same architecture at the same size).
/// </summary>
internal sealed record PretrainedShape(NFNetConfig Architecture, int ClassCount, ImagePreprocessingOptions Preprocessing)
{
    public int ImageSize => Preprocessing.ImageSize!.Value;

    /// <summary>The pretrained network in eval mode, loaded with the public API (a new one per call).</summary>
    public NFNetModel Load(string folder)
    {
        var model = new NFNetModel(Architecture, ClassCount);
        model.LoadWeights(Path.Combine(folder, NFNetModelExtensions.TimmWeightsFileName));
        model.eval();
        return model;
    }

    /// <summary>Reads the architecture (this library's section), the class count and the image size of an ExportTimm folder.</summary>
    public static PretrainedShape Read(string folder)
    {
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, NFNetModelExtensions.TimmConfigFileName)));
        var root = config.RootElement;
        var own = root.GetProperty("microsoft_ml_nfnet");
        var preprocessing = System.Text.Json.JsonSerializer.Deserialize<ImagePreprocessingOptions>(own.GetProperty("preprocessing").GetRawText(),
            new System.Text.Json.JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } })!;
        return new PretrainedShape(NFNetConfig.FromJson(own.GetProperty("config").GetRawText()), root.GetProperty("num_classes").GetInt32(), preprocessing);
    }
}

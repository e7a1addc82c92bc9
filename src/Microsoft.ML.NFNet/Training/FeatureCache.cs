using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Head-only training with augmentation off: the frozen backbone's pooled features of every usable training and
/// validation image, computed once (eval mode, no gradients) and kept in memory on the training device, so each epoch
/// costs one small matrix product per batch instead of a pass through the backbone. What makes ML.NET Vision's
/// "bottleneck" fast, computed per run from the run's own weights and preprocessing, so it can never be stale.
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private readonly Tensor training;
    private readonly Tensor trainingLabels;
    private readonly Dictionary<int, long> rowOf;

    private FeatureCache(Tensor training, Tensor trainingLabels, Dictionary<int, long> rowOf, Tensor? validation, Tensor? validationLabels)
    {
        this.training = training;
        this.trainingLabels = trainingLabels;
        this.rowOf = rowOf;
        Validation = validation;
        ValidationLabels = validationLabels;
    }

    /// <summary>Validation features [N, F], or null without validation data.</summary>
    public Tensor? Validation { get; }

    /// <summary>Validation labels [N] (int64).</summary>
    public Tensor? ValidationLabels { get; }

    /// <summary>Memory the features take.</summary>
    public long Bytes => (training.numel() + (Validation?.numel() ?? 0)) * sizeof(float);

    /// <summary>Images whose features are held (training and validation).</summary>
    public long Images => training.shape[0] + (Validation?.shape[0] ?? 0);

    /// <summary>Whether training images are preprocessed the same way every epoch (no random crop, flip or mixing), so
    /// their features can be computed once.</summary>
    public static bool Applies(ImagePreprocessingOptions preprocessing) =>
        !preprocessing.RandomResizedCrop && preprocessing.ResolvedFlipProbability == 0 && !preprocessing.MixesBatches;

    /// <summary>Runs the backbone once over the usable images, with the training preprocessing for training images (as
    /// an epoch would prepare them) and the scoring preprocessing for validation images.</summary>
    public static FeatureCache Compute(NFNetModel model, ImageDataSource train, int[] usableTraining, ImageDataSource? validation,
        int[] usableValidation, ImageBatcher batcher, int batchSize, Device device, double labelSmoothing,
        CancellationToken cancellationToken)
    {
        var wasTraining = model.training;
        model.eval();
        var parts = new List<Tensor>();
        try
        {
            using var _ = no_grad();
            var trainingFeatures = Features(usableTraining, batchSize, chunk =>
            {
                var images = chunk.Select(i => train[i]).ToArray();
                // With augmentation off the training batch holds exactly the evaluation crop at the training size.
                using var batch = Describe(train, chunk, "training", () => batcher.CreateTrainingBatch(
                    images.Select(x => x.Encoded).ToArray(), images.Select(x => x.Label).ToArray(), train.ClassCount,
                    labelSmoothing, new Random(0)));
                return model.ForwardFeatures(batch.Images.to(device));
            }, cancellationToken);
            parts.Add(trainingFeatures);
            var trainingLabels = Labels(train, usableTraining, device);
            parts.Add(trainingLabels);
            Tensor? validationFeatures = null, validationLabels = null;
            if (validation is not null && usableValidation.Length > 0)
            {
                validationFeatures = Features(usableValidation, batchSize, chunk =>
                {
                    using var batch = Describe(validation, chunk, "validation",
                        () => batcher.CreateEvaluationBatch(chunk.Select(i => validation[i].Encoded).ToArray()));
                    return model.ForwardFeatures(batch.to(device));
                }, cancellationToken);
                parts.Add(validationFeatures);
                validationLabels = Labels(validation, usableValidation, device);
                parts.Add(validationLabels);
            }
            var rows = usableTraining.Select((index, row) => (index, row)).ToDictionary(p => p.index, p => (long)p.row);
            return new FeatureCache(trainingFeatures, trainingLabels, rows, validationFeatures, validationLabels);
        }
        catch
        {
            foreach (var part in parts)
                part.Dispose();
            throw;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The cached features and labels of the images at <paramref name="indices"/> (data indices), as a batch.</summary>
    public TrainingBatch Batch(int[] indices)
    {
        using var rows = tensor(indices.Select(i => rowOf[i]).ToArray(), device: training.device);
        return new TrainingBatch(training.index_select(0, rows), trainingLabels.index_select(0, rows));
    }

    private static Tensor Features(int[] usable, int batchSize, Func<int[], Tensor> featuresOf, CancellationToken cancellationToken)
    {
        var chunks = new List<Tensor>();
        try
        {
            foreach (var chunk in usable.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                // float32 whatever the compute precision: the classifier's dtype.
                chunks.Add(featuresOf(chunk).to(float32).MoveToOuterDisposeScope());
            }
            return cat(chunks, 0);
        }
        finally
        {
            foreach (var chunk in chunks)
                chunk.Dispose();
        }
    }

    private static Tensor Labels(ImageDataSource data, int[] usable, Device device) =>
        tensor(usable.Select(i => (long)data[i].Label).ToArray(), device: device);

    private static T Describe<T>(ImageDataSource data, int[] chunk, string role, Func<T> prepare)
    {
        try
        {
            return prepare();
        }
        catch (InvalidImageException e) when (e.BatchIndex >= 0)
        {
            throw e.At($"{data.Describe(chunk[e.BatchIndex])} of the {role} data",
                "It could be decoded before training started: was it changed meanwhile?");
        }
    }

    public void Dispose()
    {
        training.Dispose();
        trainingLabels.Dispose();
        Validation?.Dispose();
        ValidationLabels?.Dispose();
    }
}

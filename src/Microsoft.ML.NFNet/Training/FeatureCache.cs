using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Head-only training with augmentation off: the frozen backbone's pooled features of every usable training and
/// validation image, computed once (eval mode, no gradients), so each epoch costs one small matrix product per batch
/// instead of a pass through the backbone. What makes ML.NET Vision's "bottleneck" fast, computed per run from the run's
/// own weights and preprocessing, so it can never be stale. The features are kept on the training device while they fit
/// <see cref="DataMemoryBudget.FeatureBytes"/>, else in a temp file (deleted on <see cref="Dispose"/>) read per batch.
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private readonly TempDataFile? file;
    private readonly FeatureRows training;
    private readonly Tensor trainingLabels;
    private readonly Dictionary<int, long> rowOf;
    private readonly FeatureRows? validation;
    private readonly Tensor? validationLabels;

    private FeatureCache(TempDataFile? file, FeatureRows training, Tensor trainingLabels, Dictionary<int, long> rowOf,
        FeatureRows? validation, Tensor? validationLabels)
    {
        this.file = file;
        this.training = training;
        this.trainingLabels = trainingLabels;
        this.rowOf = rowOf;
        this.validation = validation;
        this.validationLabels = validationLabels;
    }

    /// <summary>Whether validation features are held.</summary>
    public bool HasValidation => validation is not null;

    /// <summary>Validation images whose features are held.</summary>
    public long ValidationCount => validation?.Count ?? 0;

    /// <summary>Bytes the features take.</summary>
    public long Bytes => Images * training.Width * sizeof(float);

    /// <summary>Images whose features are held (training and validation).</summary>
    public long Images => training.Count + ValidationCount;

    /// <summary>Whether the features are in a temp file rather than in memory.</summary>
    public bool Spilled => file is not null;

    /// <summary>Where the features are, for the log.</summary>
    public string Storage => file is null ? "in memory" : $"in a temp file in '{Path.GetDirectoryName(file.Path)}', over the memory budget";

    /// <summary>Whether training images are preprocessed the same way every epoch (no random crop, flip or mixing), so
    /// their features can be computed once.</summary>
    public static bool Applies(ImagePreprocessingOptions preprocessing) =>
        !preprocessing.RandomResizedCrop && preprocessing.ResolvedFlipProbability == 0 && !preprocessing.MixesBatches;

    /// <summary>Runs the backbone once over the usable images, with the training preprocessing for training images (as
    /// an epoch would prepare them) and the scoring preprocessing for validation images.</summary>
    public static FeatureCache Compute(NFNetModel model, ImageDataSource train, int[] usableTraining, ImageDataSource? validation,
        int[] usableValidation, ImageBatcher batcher, int batchSize, Device device, double labelSmoothing, DataMemoryBudget budget,
        LeftOutImages leftOut, ProgressLog? progress, CancellationToken cancellationToken)
    {
        var wasTraining = model.training;
        model.eval();
        var validated = validation is not null && usableValidation.Length > 0;
        var bytes = (usableTraining.Length + (validated ? usableValidation.Length : 0L)) * model.NumFeatures * sizeof(float);
        var file = bytes > budget.FeatureBytes ? TempDataFile.Create(budget.TempFolder, "features") : null;
        var parts = new List<IDisposable>();
        long done = 0;
        Tensor Counted(Tensor features, int images)
        {
            progress?.Report(done += images);
            return features;
        }
        try
        {
            using var _ = no_grad();
            var trainingLabels = new long[usableTraining.Length];
            var trainingFeatures = FeatureRows.Compute(usableTraining, model.NumFeatures, batchSize, device, file, (chunk, row) =>
            {
                for (var k = 0; k < chunk.Length; k++)
                    trainingLabels[row + k] = train[chunk[k]].Label;
                return Counted(LeavingOut(train, chunk, trainingLabels, row, isValidation: false, leftOut, model.NumFeatures, device, kept =>
                {
                    var images = kept.Select(i => train[i]).ToArray();
                    // With augmentation off the training batch holds exactly the evaluation crop at the training size.
                    using var batch = batcher.CreateTrainingBatch(images.Select(x => x.Encoded).ToArray(),
                        images.Select(x => x.Label).ToArray(), train.ClassCount, labelSmoothing, new Random(0));
                    return model.ForwardFeatures(batch.Images.to(device));
                }), chunk.Length);
            }, cancellationToken);
            parts.Add(trainingFeatures);
            var trainingLabelTensor = tensor(trainingLabels, device: device);
            parts.Add(trainingLabelTensor);
            FeatureRows? validationFeatures = null;
            Tensor? validationLabelTensor = null;
            if (validated)
            {
                var validationLabels = new long[usableValidation.Length];
                validationFeatures = FeatureRows.Compute(usableValidation, model.NumFeatures, batchSize, device, file, (chunk, row) =>
                {
                    for (var k = 0; k < chunk.Length; k++)
                        validationLabels[row + k] = validation![chunk[k]].Label;
                    return Counted(LeavingOut(validation!, chunk, validationLabels, row, isValidation: true, leftOut, model.NumFeatures, device,
                        kept =>
                        {
                            using var batch = batcher.CreateEvaluationBatch(kept.Select(i => validation![i].Encoded).ToArray());
                            return model.ForwardFeatures(batch.to(device));
                        }), chunk.Length);
                }, cancellationToken);
                parts.Add(validationFeatures);
                validationLabelTensor = tensor(validationLabels, device: device);
                parts.Add(validationLabelTensor);
            }
            file?.Complete();
            var rows = usableTraining.Select((index, row) => (index, row)).ToDictionary(p => p.index, p => (long)p.row);
            return new FeatureCache(file, trainingFeatures, trainingLabelTensor, rows, validationFeatures, validationLabelTensor);
        }
        catch
        {
            foreach (var part in parts)
                part.Dispose();
            file?.Dispose();
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
        var rows = indices.Select(i => rowOf[i]).ToArray();
        using var index = tensor(rows, device: trainingLabels.device);
        return new TrainingBatch(training.Select(rows), trainingLabels.index_select(0, index));
    }

    /// <summary>Features [length, F] and labels [length] of validation images <paramref name="start"/> onwards.</summary>
    public (Tensor Features, Tensor Labels) ValidationBatch(long start, long length) =>
        (validation!.Range(start, length), validationLabels!.narrow(0, start, length));

    // The features of a chunk's images. An image that fails to decode is left out (or fails training, not skipping):
    // its row stays zero, its label becomes the ignored one, and training batches leave it out.
    private static Tensor LeavingOut(ImageDataSource data, int[] chunk, long[] labels, int row, bool isValidation,
        LeftOutImages leftOut, long width, Device device, Func<int[], Tensor> featuresOf)
    {
        var kept = Enumerable.Range(0, chunk.Length).ToList();
        while (true)
        {
            if (kept.Count == 0)
                return zeros([chunk.Length, width], float32, device);
            try
            {
                var features = featuresOf([.. kept.Select(k => chunk[k])]);
                if (kept.Count == chunk.Length)
                    return features;
                using var positions = tensor(kept.Select(k => (long)k).ToArray(), device: features.device);
                return zeros([chunk.Length, features.shape[1]], features.dtype, features.device).index_copy_(0, positions, features);
            }
            catch (InvalidImageException e) when (e.BatchIndex >= 0)
            {
                var position = kept[e.BatchIndex];
                leftOut.Add(e, data, chunk[position], isValidation);
                labels[row + position] = ValidationEvaluator.LeftOutLabel;
                kept.RemoveAt(e.BatchIndex);
            }
        }
    }

    public void Dispose()
    {
        training.Dispose();
        trainingLabels.Dispose();
        validation?.Dispose();
        validationLabels?.Dispose();
        file?.Dispose();
    }
}

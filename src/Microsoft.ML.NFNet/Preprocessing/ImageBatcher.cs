using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Turns encoded images into network-ready batches: decode, resize/crop (and augment for training), normalise, mix.
/// The single entry point for both training and scoring, so the two can never preprocess differently.
/// </summary>
/// <remarks>
/// Each image is decoded and transformed on one of up to <c>maxDegreeOfParallelism</c> threads, straight into its slot
/// of a pre-allocated batch; every temporary tensor lives in a per-image dispose scope. libtorch would give each calling
/// thread its own OpenMP team and oversubscribe the cores, so each image runs libtorch single-threaded
/// (<see cref="PerThreadTorchThreads"/>): whole images per thread is the parallelism.
/// Training randomness is drawn from the caller's <see cref="Random"/> in a fixed order (one seed per image, then the
/// mixing decision), so a seed reproduces a batch exactly whatever the thread scheduling.
/// </remarks>
internal sealed class ImageBatcher
{
    private readonly ImagePreprocessor preprocessor;
    private readonly int maxDegreeOfParallelism;

    /// <param name="options">Validated here.</param>
    /// <param name="maxDegreeOfParallelism">Images processed at once; 0 (default) means the processor count.</param>
    public ImageBatcher(ImagePreprocessingOptions options, int maxDegreeOfParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDegreeOfParallelism);
        options.Validate();
        preprocessor = new ImagePreprocessor(options);
        this.maxDegreeOfParallelism = maxDegreeOfParallelism == 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;
    }

    /// <summary>The preprocessing settings.</summary>
    public ImagePreprocessingOptions Options => preprocessor.Options;

    /// <summary>Scoring / validation: float32 <c>[N, 3, S, S]</c> at the scoring size, normalised. The caller owns the tensor.</summary>
    /// <exception cref="InvalidImageException">An image cannot be decoded; the message gives the lowest such position.</exception>
    public Tensor CreateEvaluationBatch(IReadOnlyList<ReadOnlyMemory<byte>> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = torch.NewDisposeScope();
        var size = Options.ScoringSize;
        var batch = FillBatch(images, size, (rgb, _) => preprocessor.Evaluate(rgb, size), seeds: null, out var failures);
        ThrowFirstFailure(failures);
        ChannelNormalizer.NormalizeInPlace(batch, Options);
        return batch.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scoring a batch in which some images may be bad: as <see cref="CreateEvaluationBatch(IReadOnlyList{ReadOnlyMemory{byte}})"/>,
    /// but an image that cannot be decoded gets a blank slot and its exception in <paramref name="invalidImages"/> (null
    /// for every good image) instead of failing the batch, so the other images are still scored. The caller owns the tensor.
    /// </summary>
    /// <param name="images">Encoded images.</param>
    /// <param name="invalidImages">One entry per image, filled here.</param>
    /// <exception cref="ArgumentException"><paramref name="invalidImages"/> has another length than <paramref name="images"/>.</exception>
    public Tensor CreateEvaluationBatch(IReadOnlyList<ReadOnlyMemory<byte>> images, InvalidImageException?[] invalidImages)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(invalidImages);
        if (invalidImages.Length != images.Count)
            throw new ArgumentException($"Got {images.Count} images but room for {invalidImages.Length} results.", nameof(invalidImages));
        using var scope = torch.NewDisposeScope();
        var size = Options.ScoringSize;
        var batch = FillBatch(images, size, (rgb, _) => preprocessor.Evaluate(rgb, size), seeds: null, out var failures);
        for (var i = 0; i < failures.Length; i++)
        {
            invalidImages[i] = failures[i] as InvalidImageException;
            if (failures[i] is null)
                continue;
            if (invalidImages[i] is null)
                ExceptionDispatchInfo.Throw(failures[i]!);
            batch[i].zero_();
        }
        ChannelNormalizer.NormalizeInPlace(batch, Options);
        return batch.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training: augmented, normalised images and their targets (hard labels, or soft targets when MixUp / CutMix is on).
    /// </summary>
    /// <param name="images">Encoded images.</param>
    /// <param name="labels">Class index of each image, in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">Number of classes (the width of soft targets).</param>
    /// <param name="labelSmoothing">Folded into soft targets only; with hard labels the loss applies it.</param>
    /// <param name="random">Source of all augmentation randomness for this batch.</param>
    public TrainingBatch CreateTrainingBatch(
        IReadOnlyList<ReadOnlyMemory<byte>> images, IReadOnlyList<int> labels, int classCount, double labelSmoothing, Random random)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(random);
        ValidateLabels(images.Count, labels, classCount, labelSmoothing);

        using var scope = torch.NewDisposeScope();
        var seeds = new int[images.Count];
        for (var i = 0; i < seeds.Length; i++)
            seeds[i] = random.Next();
        var size = Options.TrainingSize;
        var batch = FillBatch(images, size, (rgb, seed) => preprocessor.Augment(rgb, new Random(seed)), seeds, out var failures);
        ThrowFirstFailure(failures);
        ChannelNormalizer.NormalizeInPlace(batch, Options);

        var labelTensor = torch.tensor(labels.Select(label => (long)label).ToArray(), ScalarType.Int64);
        if (!Options.MixesBatches)
            return new TrainingBatch(batch.MoveToOuterDisposeScope(), labelTensor.MoveToOuterDisposeScope());

        var mix = BatchMixer.Sample(Options, size, size, random);
        BatchMixer.ApplyInPlace(batch, mix);
        var targets = BatchMixer.SoftTargets(labelTensor, classCount, mix.Lambda, labelSmoothing);
        return new TrainingBatch(batch.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope()) { Mix = mix };
    }

    private Tensor FillBatch(IReadOnlyList<ReadOnlyMemory<byte>> images, int size, Func<Tensor, int, Tensor> transform, int[]? seeds,
        out Exception?[] failures)
    {
        var batch = torch.empty([images.Count, 3, size, size], ScalarType.Float32);
        var limit = ImageSizeLimit.Of(Options);
        var imageFailures = failures = new Exception?[images.Count];
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            try
            {
                // One image per thread already: libtorch's own threads would only compete with these and the network.
                using var singleThreaded = PerThreadTorchThreads.SingleThreaded();
                // Dispose scopes are per thread: each image gets its own, so nothing outlives its iteration.
                using var imageScope = torch.NewDisposeScope();
                var rgb = ImageDecoder.DecodeRgb(images[i].Span, limit);
                batch[i].copy_(transform(rgb, seeds?[i] ?? 0));
            }
            catch (Exception e)
            {
                imageFailures[i] = e;
            }
        });
        return batch;
    }

    private static void ThrowFirstFailure(Exception?[] failures)
    {
        var index = Array.FindIndex(failures, failure => failure != null);
        if (index < 0)
            return;
        if (failures[index] is InvalidImageException invalid)
            throw invalid.InBatch(index);
        ExceptionDispatchInfo.Throw(failures[index]!);
    }

    private static void ValidateLabels(int imageCount, IReadOnlyList<int> labels, int classCount, double labelSmoothing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (labelSmoothing is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        if (labels.Count != imageCount)
            throw new ArgumentException($"Got {imageCount} images but {labels.Count} labels.", nameof(labels));
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0 || labels[i] >= classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i],
                    $"Label {labels[i]} of image {i} is outside [0, {classCount}).");
        }
    }
}

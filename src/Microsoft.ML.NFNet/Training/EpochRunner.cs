using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>One training epoch: batches prepared in the background (or taken from the feature cache), forward, loss,
/// backward, the optimizer step, and the progress reports.</summary>
/// <param name="settings">The resolved settings.</param>
/// <param name="epochs">Epochs of the whole run.</param>
/// <param name="seed">The run's seed.</param>
/// <param name="batcher">The preprocessing.</param>
/// <param name="device">Where the model is.</param>
/// <param name="leftOut">Images left out because they cannot be decoded (reported; more may be found while training).</param>
/// <param name="trainable">What trains; frozen parts stay in eval mode, and a frozen backbone runs without gradients.</param>
/// <param name="features">The backbone's features of every training image, when only the head trains on
/// un-augmented images.</param>
/// <param name="threads">Chooses libtorch's thread count for each step on a CPU (null: the count is left alone).</param>
internal sealed class EpochRunner(NFNetTrainingOptions settings, int epochs, int seed, ImageBatcher batcher, Device device,
    LeftOutImages leftOut, TrainableParameters trainable, FeatureCache? features, IntraOpThreadTuner? threads = null)
{
    /// <summary>The epochs planned (reported in the metrics; a time budget may shorten the plan).</summary>
    public int Epochs { get; set; } = epochs;

    /// <summary>Trains one epoch; <paramref name="afterStep"/> (called after every step) may end it early by returning
    /// false, for a time budget.</summary>
    public TrainingMetrics Train(NFNetModel model, NFNetOptimizer optimizer, ImageDataSource data, int[] usable, int epoch,
        Stopwatch clock, TimeSpan elapsedBefore, CancellationToken cancellationToken, Func<bool>? afterStep = null)
    {
        var batchSize = Math.Min(settings.BatchSize, usable.Length);
        var plan = new EpochPlan(seed, epoch, usable, batchSize);
        manual_seed(plan.TorchSeed);
        trainable.SetTrainingMode();
        optimizer.ClippingStatistics?.Reset();

        var epochClock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        var lastLearningRate = optimizer.LearningRate;
        var batchesDone = 0;
        TrainingMetrics Report(bool epochEnd, int batch) => new()
        {
            IsEpochEnd = epochEnd,
            Epoch = epoch,
            Epochs = Epochs,
            Batch = batch,
            BatchesPerEpoch = plan.Batches.Length,
            Step = optimizer.StepsDone,
            TrainLoss = seen == 0 ? double.NaN : lossSum / seen,
            TrainAccuracy = seen == 0 ? double.NaN : (double)correct / seen,
            LearningRate = lastLearningRate,
            ImagesPerSecond = seen / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9),
            ClippedUnitFraction = optimizer.ClippingStatistics?.ClippedFraction ?? 0,
            Elapsed = elapsedBefore + clock.Elapsed,
            EstimatedRemaining = EstimateRemaining(epoch, batch, plan.Batches.Length, epochClock.Elapsed),
            SkippedImages = leftOut.Count,
        };

        using var prefetcher = features is null ? new BatchPrefetcher(data, plan, batcher, settings.LabelSmoothing, leftOut) : null;
        var batches = prefetcher?.Batches() ?? CachedBatches(plan);
        foreach (var (index, batch) in batches)
        {
            using (batch)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    model.eval();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                float lossValue;
                long count, hits;
                using (threads?.Run((int)batch.Targets.shape[0]))
                    (lossValue, count, hits) = Step(model, optimizer, batch, epoch, index);
                lastLearningRate = optimizer.Schedule.LearningRateAt(optimizer.StepsDone - 1);
                lossSum += lossValue * count;
                correct += hits;
                seen += count;
            }
            batchesDone = index + 1;
            if (afterStep is not null && !afterStep())
                break;
            if (settings.LogEveryBatches > 0 && (index + 1) % settings.LogEveryBatches == 0 && index + 1 < plan.Batches.Length)
                settings.MetricsCallback?.Invoke(Report(epochEnd: false, index + 1));
        }
        return Report(epochEnd: true, batchesDone);
    }

    // The feature cache's batches, without images found undecodable while the features were computed.
    private IEnumerable<(int Index, TrainingBatch Batch)> CachedBatches(EpochPlan plan)
    {
        for (var b = 0; b < plan.Batches.Length; b++)
        {
            var indices = plan.Batches[b].Where(i => !leftOut.Contains(i, isValidation: false)).ToArray();
            if (indices.Length > 0)
                yield return (b, features!.Batch(indices));
        }
    }

    private (float Loss, long Count, long Correct) Step(NFNetModel model, NFNetOptimizer optimizer, TrainingBatch batch, int epoch, int index)
    {
        using var scope = NewDisposeScope();
        var images = batch.Images.to(device);
        var targets = batch.Targets.to(device);
        var rows = images.shape[0];
        var partSize = Math.Min(settings.MicroBatchSize ?? rows, rows);
        var step = optimizer.StepsDone + 1;
        optimizer.ZeroGrad();
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < rows; start += partSize)
        {
            // Each micro-batch's graph and activations are freed before the next one runs: that is the memory saved.
            using var partScope = NewDisposeScope();
            var length = Math.Min(partSize, rows - start);
            var partTargets = targets.narrow(0, start, length);
            var logits = Forward(model, images.narrow(0, start, length));
            var loss = batch.HasSoftTargets
                ? -(partTargets * F.log_softmax(logits, 1)).sum(1).mean()
                : F.cross_entropy(logits, partTargets, label_smoothing: settings.LabelSmoothing);
            var lossValue = loss.item<float>();
            if (!float.IsFinite(lossValue))
                throw Diverged($"The training loss became {lossValue}", step, epoch, index);
            // The batch's loss is the mean over all its images: a part's mean counts by its share (exactly 1 for a whole
            // batch, which leaves its step unchanged), and gradients add up.
            using var share = ((double)length / rows).ToScalar();
            loss.mul(share).backward();
            lossSum += (double)lossValue * length;
            var hard = batch.HasSoftTargets ? partTargets.argmax(1) : partTargets;
            correct += logits.argmax(1).eq(hard).sum().item<long>();
        }
        if (!GradientsAreFinite(model))
            throw Diverged("A gradient became NaN or infinite", step, epoch, index);
        optimizer.Step();
        return ((float)(lossSum / rows), rows, correct);
    }

    // The whole network; or, when only the head trains, the frozen backbone without an autograd graph (or no backbone at
    // all: the batch already holds its features).
    private Tensor Forward(NFNetModel model, Tensor input)
    {
        if (features is not null)
            return model.ForwardHead(input);
        if (!trainable.HeadOnly)
            return model.call(input);
        Tensor pooled;
        using (no_grad())
            pooled = model.ForwardFeatures(input);
        return model.ForwardHead(pooled);
    }

    private static NonFiniteTrainingException Diverged(string what, long step, int epoch, int index) => new(
        $"{what} at step {step} (epoch {epoch}, batch {index + 1}). Lower the learning rate or the clipping factor; " +
        "the last checkpoint (if any) holds the last good state.", step);

    private TimeSpan EstimateRemaining(int epoch, int batch, int batchesPerEpoch, TimeSpan epochElapsed)
    {
        if (batch == 0)
            return TimeSpan.Zero;
        var perBatch = epochElapsed / batch;
        var remainingBatches = (long)(batchesPerEpoch - batch) + (long)Math.Max(0, Epochs - epoch) * batchesPerEpoch;
        return perBatch * remainingBatches;
    }

    // One reduction per parameter and a single host sync: NaN and ∞ propagate through the sum.
    private static bool GradientsAreFinite(NFNetModel model)
    {
        using var scope = NewDisposeScope();
        var sums = model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.sum().to(float64)).ToArray();
        return sums.Length == 0 || stack(sums).sum().isfinite().item<bool>();
    }
}

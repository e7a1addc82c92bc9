using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Trains an <see cref="NFNetModel"/> on labeled encoded images: epochs of augmented mini-batches with the NFNet recipe
/// (AGC, SGD with Nesterov momentum, warm-up + cosine schedule, label smoothing), validation, early stopping,
/// end-of-epoch checkpoints and resumption, progress reports and cancellation. Usable on its own, without ML.NET.
/// </summary>
public sealed class NFNetTrainingEngine
{
    private readonly NFNetTrainingOptions options;

    /// <param name="options">How to train (validated here).</param>
    public NFNetTrainingEngine(NFNetTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place and leaves it in eval mode on the training device, holding the weights of
    /// the selected epoch (the best one when early stopping restores it; the EMA weights when EMA is on).
    /// </summary>
    /// <exception cref="InvalidImageException">An image cannot be decoded (the message names it) and skipping is off.</exception>
    /// <exception cref="NonFiniteTrainingException">The loss or a gradient became NaN/∞ (the last checkpoint is kept).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the weights of the last completed step.</exception>
    public NFNetTrainingResult Train(NFNetModel model, IImageDataSource train, IImageDataSource? validation = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
            throw new ArgumentException("The training set is empty.", nameof(train));
        if (train.ClassCount != model.NumClasses)
            throw new ArgumentException($"The training set has {train.ClassCount} classes but the model has {model.NumClasses} outputs.", nameof(train));
        if (validation is not null && validation.ClassCount != train.ClassCount)
            throw new ArgumentException("The validation set has a different number of classes than the training set.", nameof(validation));
        if (options.EarlyStopping is not null && (validation is null || validation.Count == 0))
            throw new ArgumentException("Early stopping needs a non-empty validation set.", nameof(validation));

        var device = DeviceSelector.Resolve(options.Device);
        model.to(device);
        var computeType = model.ComputeType;
        model.ComputeType = options.Precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : computeType;
        var preprocessing = options.Preprocessing;
        var batcher = new ImageBatcher(preprocessing);
        var batchSize = Math.Min(options.BatchSize, train.Count);
        var stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        using var optimizer = NFNetOptimizer.Create(model, options.Optimizer, batchSize, stepsPerEpoch, (long)stepsPerEpoch * options.Epochs);

        var run = new RunState(model, train, optimizer);
        if (options.ResumeFrom is { } resume)
            run.Restore(resume, options.Seed);
        var clock = Stopwatch.StartNew();
        var elapsedBefore = run.History.Count > 0 ? run.History[^1].Elapsed : TimeSpan.Zero;
        try
        {
            for (var epoch = run.History.Count + 1; epoch <= options.Epochs && !run.Stopped; epoch++)
            {
                var metrics = TrainEpoch(run, epoch, batcher, batchSize, device, clock, elapsedBefore, cancellationToken);
                if (validation is not null && validation.Count > 0)
                {
                    using var ema = optimizer.Ema?.SwapIn();
                    var (loss, accuracy) = ValidationEvaluator.Evaluate(model, validation, batcher, batchSize, device, options.SkipInvalidImages, run.ValidationSkipped, cancellationToken);
                    metrics = metrics with { ValidationLoss = loss, ValidationAccuracy = accuracy };
                }
                run.EndEpoch(metrics, options.EarlyStopping, optimizer);
                if (options.CheckpointDirectory is { } directory)
                    run.SaveCheckpoint(Path.Combine(directory, TrainingCheckpoint.FileName), options.Seed);
                options.MetricsCallback?.Invoke(metrics);
            }
            return run.Finish(options.EarlyStopping, optimizer);
        }
        finally
        {
            model.ComputeType = computeType;
            model.eval();
            run.Dispose();
        }
    }

    private TrainingMetrics TrainEpoch(RunState run, int epoch, ImageBatcher batcher, int batchSize, Device device,
        Stopwatch clock, TimeSpan elapsedBefore, CancellationToken cancellationToken)
    {
        var model = run.Model;
        var usable = Enumerable.Range(0, run.Train.Count).Where(i => !run.Skipped.Contains(i)).ToArray();
        var plan = new EpochPlan(options.Seed, epoch, usable, batchSize);
        manual_seed(plan.TorchSeed);
        model.train();
        run.Optimizer.ClippingStatistics?.Reset();

        var epochClock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        var lastLearningRate = run.Optimizer.LearningRate;
        TrainingMetrics Report(TrainingPhase phase, int batch) => new()
        {
            Phase = phase,
            Epoch = epoch,
            Epochs = options.Epochs,
            Batch = batch,
            BatchesPerEpoch = plan.Batches.Length,
            Step = run.Optimizer.StepsDone,
            TrainLoss = seen == 0 ? double.NaN : lossSum / seen,
            TrainAccuracy = seen == 0 ? double.NaN : (double)correct / seen,
            LearningRate = lastLearningRate,
            ImagesPerSecond = seen / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9),
            ClippedUnitFraction = run.Optimizer.ClippingStatistics?.ClippedFraction ?? 0,
            Elapsed = elapsedBefore + clock.Elapsed,
            EstimatedRemaining = EstimateRemaining(epoch, batch, plan.Batches.Length, epochClock.Elapsed),
            SkippedImages = run.Skipped.Count + run.ValidationSkipped.Count,
        };

        using var prefetcher = new BatchPrefetcher(run.Train, plan, batcher, options.LabelSmoothing, options.SkipInvalidImages, run.Skipped);
        foreach (var (index, batch) in prefetcher.Batches())
        {
            using (batch)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    model.eval();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                using var scope = NewDisposeScope();
                var images = batch.Images.to(device);
                var targets = batch.Targets.to(device);
                run.Optimizer.ZeroGrad();
                var logits = model.forward(images);
                var loss = batch.HasSoftTargets
                    ? -(targets * F.log_softmax(logits, 1)).sum(1).mean()
                    : F.cross_entropy(logits, targets, label_smoothing: options.LabelSmoothing);
                var lossValue = loss.item<float>();
                var step = run.Optimizer.StepsDone + 1;
                if (!float.IsFinite(lossValue))
                    throw new NonFiniteTrainingException($"The training loss became {lossValue} at step {step} (epoch {epoch}, batch {index + 1}). " +
                        "Lower the learning rate or the clipping factor; the last checkpoint (if any) holds the last good state.", step);
                loss.backward();
                if (!GradientsAreFinite(model))
                    throw new NonFiniteTrainingException($"A gradient became NaN or infinite at step {step} (epoch {epoch}, batch {index + 1}). " +
                        "Lower the learning rate or the clipping factor; the last checkpoint (if any) holds the last good state.", step);
                lastLearningRate = run.Optimizer.LearningRate;
                run.Optimizer.Step();

                var count = logits.shape[0];
                lossSum += lossValue * count;
                var hard = batch.HasSoftTargets ? targets.argmax(1) : targets;
                correct += logits.argmax(1).eq(hard).sum().item<long>();
                seen += count;
            }
            if (options.LogEveryBatches > 0 && (index + 1) % options.LogEveryBatches == 0 && index + 1 < plan.Batches.Length)
                options.MetricsCallback?.Invoke(Report(TrainingPhase.Batch, index + 1));
        }
        return Report(TrainingPhase.Epoch, plan.Batches.Length);
    }

    private TimeSpan EstimateRemaining(int epoch, int batch, int batchesPerEpoch, TimeSpan epochElapsed)
    {
        if (batch == 0)
            return TimeSpan.Zero;
        var perBatch = epochElapsed / batch;
        var remainingBatches = (long)(batchesPerEpoch - batch) + (long)(options.Epochs - epoch) * batchesPerEpoch;
        return perBatch * remainingBatches;
    }

    // One reduction per parameter and a single host sync: NaN and ∞ propagate through the sum.
    private static bool GradientsAreFinite(NFNetModel model)
    {
        using var scope = NewDisposeScope();
        var sums = model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.sum().to(float64)).ToArray();
        return sums.Length == 0 || stack(sums).sum().isfinite().item<bool>();
    }

    /// <summary>Everything that changes across epochs and goes into a checkpoint.</summary>
    private sealed class RunState(NFNetModel model, IImageDataSource train, NFNetOptimizer optimizer) : IDisposable
    {
        public NFNetModel Model { get; } = model;
        public IImageDataSource Train { get; } = train;
        public NFNetOptimizer Optimizer { get; } = optimizer;
        public List<TrainingMetrics> History { get; private set; } = [];
        public HashSet<int> Skipped { get; private set; } = [];
        public HashSet<int> ValidationSkipped { get; } = [];
        public Dictionary<string, Tensor>? BestWeights { get; private set; }
        public int BestEpoch { get; private set; }
        public double? BestMetric { get; private set; }
        public int EpochsWithoutImprovement { get; private set; }
        public bool Stopped { get; private set; }

        public void EndEpoch(TrainingMetrics metrics, EarlyStoppingOptions? earlyStopping, NFNetOptimizer optimizer)
        {
            History.Add(metrics);
            if (earlyStopping is null)
                return;
            var value = earlyStopping.Metric == EarlyStoppingMetric.Loss ? metrics.ValidationLoss!.Value : metrics.ValidationAccuracy!.Value;
            if (BestMetric is null || earlyStopping.IsImprovement(value, BestMetric.Value))
            {
                BestMetric = value;
                BestEpoch = metrics.Epoch;
                EpochsWithoutImprovement = 0;
                if (earlyStopping.RestoreBestWeights)
                    KeepBestWeights(optimizer);
            }
            else if (++EpochsWithoutImprovement >= earlyStopping.Patience)
            {
                Stopped = true;
            }
        }

        public NFNetTrainingResult Finish(EarlyStoppingOptions? earlyStopping, NFNetOptimizer optimizer)
        {
            var selected = History.Count;
            if (earlyStopping is { RestoreBestWeights: true } && BestWeights is not null)
            {
                using (no_grad())
                    foreach (var (name, tensor) in Model.state_dict())
                        tensor.copy_(BestWeights[name]);
                Model.InvalidateWeightCache();
                selected = BestEpoch;
            }
            else
            {
                optimizer.Ema?.CopyTo(Model);
            }
            return new NFNetTrainingResult
            {
                History = History.ToArray(),
                SelectedEpoch = selected,
                StoppedEarly = Stopped && History.Count > 0 && History[^1].Epoch < History[^1].Epochs,
                SkippedImages = Skipped.Count + ValidationSkipped.Count,
            };
        }

        public void SaveCheckpoint(string path, int seed) => TrainingCheckpoint.Save(path, Model, Optimizer, BestWeights, new TrainingProgress
        {
            Seed = seed,
            TrainCount = Train.Count,
            ClassCount = Model.NumClasses,
            Architecture = Model.Config.ToJson(),
            EpochsCompleted = History.Count,
            History = History,
            BestEpoch = BestEpoch,
            BestMetric = BestMetric,
            EpochsWithoutImprovement = EpochsWithoutImprovement,
            SkippedImages = Skipped.Order().ToList(),
        });

        public void Restore(string path, int seed)
        {
            var (progress, best) = TrainingCheckpoint.Load(path, Model, Optimizer, seed, Train.Count);
            History = progress.History;
            Skipped = progress.SkippedImages.ToHashSet();
            BestEpoch = progress.BestEpoch;
            BestMetric = progress.BestMetric;
            EpochsWithoutImprovement = progress.EpochsWithoutImprovement;
            ReplaceBest(best);
        }

        // The model's weights as they will be evaluated (the EMA when it is on), copied off the device.
        private void KeepBestWeights(NFNetOptimizer optimizer)
        {
            using var ema = optimizer.Ema?.SwapIn();
            ReplaceBest(Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().DetachFromDisposeScope()));
        }

        private void ReplaceBest(Dictionary<string, Tensor>? best)
        {
            if (BestWeights is not null)
                foreach (var tensor in BestWeights.Values)
                    tensor.Dispose();
            BestWeights = best;
        }

        public void Dispose() => ReplaceBest(null);
    }
}

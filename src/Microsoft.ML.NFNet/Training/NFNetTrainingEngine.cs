using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Trains an <see cref="NFNetModel"/> on labeled encoded images: epochs of augmented mini-batches with the NFNet recipe
/// (AGC, SGD with Nesterov momentum, warm-up + cosine schedule, label smoothing), validation, early stopping,
/// end-of-epoch checkpoints and resumption, progress reports and cancellation. Usable on its own, without ML.NET.
/// </summary>
public sealed class NFNetTrainingEngine
{
    private readonly NFNetTrainingOptions options;
    private readonly Action<string>? log;

    /// <param name="options">How to train (validated and copied here: later changes to it affect nothing).</param>
    /// <param name="log">Receives one-line notes: the automatic choices and why, images left out, resumption, the time
    /// budget; null: none.</param>
    public NFNetTrainingEngine(NFNetTrainingOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options.Copy();
        this.log = log;
    }

    /// <summary>Whether head-only training on un-augmented images computes the backbone's features once (default true);
    /// false runs the frozen backbone every step, as with augmentation (tests compare the two).</summary>
    internal bool CacheHeadFeatures { get; init; } = true;

    /// <summary>How much of the head-only feature cache is kept in memory, and where the rest goes (tests set a small
    /// budget to force the temp file).</summary>
    internal DataMemoryBudget DataMemory { get; init; } = DataMemoryBudget.Default;

    /// <summary>Whether the ImageSize and EvalImageSize of the options are automatic choices (the pretrained weights'
    /// published sizes, set by the ML.NET trainer) that the CPU fine-tuning plan may lower.</summary>
    internal bool ImageSizesAreAutomatic { get; init; }

    /// <summary>On a CPU, for the fine-tuning plan: what a training step and a forward pass cost per image (seconds).</summary>
    private StepCosts? MeasureCpuCosts(NFNetModel model, bool pretrained, Device device)
    {
        if (!CpuFineTuningPlan.Applies(options, pretrained, device.type == DeviceType.CPU))
            return null;
        var costs = StepCostProbe.Measure(model, CpuFineTuningPlan.ProbeSize(options, model.Config, ImageSizesAreAutomatic), device);
        log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Measured at {costs.ImageSize} px: {costs.TrainSecondsPerImage * 1000:0} ms per image for a training step of the whole network, {costs.ForwardSecondsPerImage * 1000:0} ms for a forward pass (the fine-tuning plan is chosen from these)."));
        return costs;
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place and leaves it in eval mode on the training device, holding the weights of
    /// the selected epoch (the best one when early stopping restores it; the EMA weights when EMA is on).
    /// </summary>
    /// <remarks>Before the first step every image is decoded once, so an undecodable image fails in seconds (or is left
    /// out with <see cref="NFNetTrainingOptions.SkipInvalidImages"/>), and the automatic settings are chosen from the
    /// data (<see cref="NFNetTrainingResult.AutomaticChoices"/>).</remarks>
    /// <exception cref="InvalidImageException">An image cannot be decoded (the message names it) and skipping is off.</exception>
    /// <exception cref="NonFiniteTrainingException">The loss or a gradient became NaN/∞ (the last checkpoint is kept).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the weights of the last completed step.</exception>
    /// <param name="model">The network, with random or pretrained weights.</param>
    /// <param name="train">The training images.</param>
    /// <param name="validation">Images validated after each epoch (early stopping and the best epoch); null: none.</param>
    /// <param name="pretrained">Whether <paramref name="model"/> holds pretrained weights: the automatic settings then
    /// follow the fine-tuning rules instead of the from-scratch ones (what the ML.NET trainer's <c>PretrainedWeights</c>
    /// sets).</param>
    /// <param name="resumeFrom">A checkpoint to continue from (<c>CheckpointDirectory/last.nfckpt</c> of an interrupted
    /// run with the same data and options and an explicit seed); null: start afresh.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    public NFNetTrainingResult Train(NFNetModel model, ImageDataSource train, ImageDataSource? validation = null,
        bool pretrained = false, string? resumeFrom = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
            throw new ArgumentException("The training set is empty.", nameof(train));
        if (train.ClassCount != model.NumClasses)
            throw new ArgumentException($"The training set has {train.ClassCount} classes but the model has {model.NumClasses} outputs.", nameof(train));
        if (validation is not null && validation.ClassCount != train.ClassCount)
            throw new ArgumentException("The validation set has a different number of classes than the training set.", nameof(validation));
        if (options.CheckpointDirectory is { } checkpoints)
            TrainingCheckpoint.PrepareDirectory(checkpoints);
        var started = Stopwatch.StartNew(); // a time budget counts the data check too

        if (resumeFrom is not null && options.Seed is null)
            throw new ArgumentException("Resuming needs the seed of the interrupted run: set NFNetTrainingOptions.Seed.", nameof(resumeFrom));
        var data = TrainingData.Scan(train, validation, options, cancellationToken);
        var device = DeviceSelector.Resolve(options.Device);
        model.to(device);
        var costs = MeasureCpuCosts(model, pretrained, device);
        var (settings, choices) = AutomaticSettings.Resolve(options, data.Profile, model.Config, fromPretrained: pretrained,
            validationImages: data.UsableValidation.Length, cpuCosts: costs, sizesAreAutomatic: ImageSizesAreAutomatic,
            onCpu: device.type == DeviceType.CPU);
        if (settings.Seed is null)
        {
            settings = settings with { Seed = Random.Shared.Next() };
            choices = [.. choices, $"Seed = {settings.Seed} (drawn at random; set Seed to repeat this run)"];
        }
        foreach (var note in data.Notes().Concat(choices.Select(choice => "Automatic: " + choice)))
            log?.Invoke(note);
        var earlyStopping = data.HasValidation ? settings.EarlyStopping : null;

        var precision = model.TrainingPrecision;
        model.TrainingPrecision = settings.Precision;
        var batcher = new ImageBatcher(settings.Preprocessing);
        var epochs = settings.Epochs!.Value;
        var batchSize = Math.Min(settings.BatchSize, data.Profile.ImageCount);
        var stepsPerEpoch = (data.Profile.ImageCount + batchSize - 1) / batchSize;
        var trainable = TrainableParameters.Of(model, settings.FineTuning);
        using var optimizer = NFNetOptimizer.Create(model, settings.Optimizer, batchSize, stepsPerEpoch, (long)stepsPerEpoch * epochs,
            settings.FineTuning);
        var seed = settings.Seed.Value;

        var run = new RunState(model, train, optimizer, data, settings.FineTuning.Describe());
        void LogLeftOut()
        {
            foreach (var note in data.LeftOut.TakeNotes())
                log?.Invoke(note);
        }

        FeatureCache? features = null;
        try
        {
            if (resumeFrom is { } resume)
            {
                run.Restore(resume, seed);
                log?.Invoke($"Resumed from '{resume}' after epoch {run.History.Count}.");
            }
            trainable.Freeze();
            if (CacheHeadFeatures && trainable.HeadOnly && FeatureCache.Applies(settings.Preprocessing) && run.History.Count < epochs)
            {
                // On a CPU the backbone runs on batches of the probe's size: the plan's estimate is then the pass's cost, and
                // eca_nfnet_l0 at 128 px took 24-47 ms per image in batches of 8 but 60-65 ms in batches of 32 (under load).
                var featureBatch = device.type == DeviceType.CPU ? Math.Min(batchSize, StepCostProbe.BatchSize) : batchSize;
                features = FeatureCache.Compute(model, train, data.UsableTraining, validation, data.UsableValidation, batcher, featureBatch,
                    device, settings.LabelSmoothing, DataMemory, data.LeftOut,
                    new ProgressLog("Computing the backbone's features", data.UsableTraining.Length + data.UsableValidation.Length, log),
                    cancellationToken);
                LogLeftOut();
                log?.Invoke($"Only the head trains and augmentation is off: computed the backbone's features of " +
                    $"{features.Images:N0} images once ({features.Bytes / 1e6:0.#} MB {features.Storage}) and train the head on them.");
            }
            var clock = Stopwatch.StartNew();
            var elapsedBefore = run.History.Count > 0 ? run.History[^1].Elapsed : TimeSpan.Zero;
            var threads = device.type == DeviceType.CPU ? IntraOpThreadTuner.ForThisThread("training steps", log) : null;
            var epochRunner = new EpochRunner(settings, epochs, seed, batcher, device, data.LeftOut, trainable, features, threads);
            var budget = settings.MaxTrainingTime is { } maxTime
                ? new TrainingTimeBudget(maxTime, () => elapsedBefore + started.Elapsed, stepsPerEpoch, optimizer.Schedule.TotalSteps,
                    data.UsableValidation.Length, batchSize, optimizer.PlanTotalSteps, log)
                : null;
            for (var epoch = run.History.Count + 1;
                 epoch <= epochs && !run.Stopped && optimizer.StepsDone < optimizer.Schedule.TotalSteps; epoch++)
            {
                budget?.StartEpoch(optimizer.StepsDone);
                var epochClock = Stopwatch.StartNew();
                var metrics = epochRunner.Train(run.Model, run.Optimizer, train, data.UsableTraining, epoch, clock, elapsedBefore,
                    cancellationToken, budget is null ? null : () =>
                    {
                        var goOn = budget.AfterStep(optimizer.StepsDone);
                        epochRunner.Epochs = budget.PlannedEpochs; // progress reports show the current plan
                        return goOn;
                    });
                var trainingTime = epochClock.Elapsed;
                LogLeftOut();
                if (budget is { Exhausted: true })
                {
                    // Out of time mid-epoch: no validation; the best validated epoch (if any) is kept.
                    run.EndUnvalidatedEpoch(metrics);
                    log?.Invoke($"Time budget: MaxTrainingTime = {budget.Budget:g} reached in epoch {epoch} after " +
                        $"{metrics.Batch} of {metrics.BatchesPerEpoch} batches.");
                    settings.MetricsCallback?.Invoke(metrics);
                    break;
                }
                if (data.HasValidation)
                {
                    using var ema = optimizer.Ema?.SwapIn();
                    using var validationThreads = threads?.Hold();
                    var (loss, accuracy) = features is { HasValidation: true }
                        ? ValidationEvaluator.Evaluate(model, features, batchSize, cancellationToken)
                        : ValidationEvaluator.Evaluate(model, validation!, data.UsableValidation, data.LeftOut, batcher, batchSize, device,
                            cancellationToken);
                    metrics = metrics with { ValidationLoss = loss, ValidationAccuracy = accuracy, SkippedImages = data.SkippedImages };
                    LogLeftOut();
                }
                if (budget is not null)
                {
                    budget.EndEpoch(optimizer.StepsDone, trainingTime, epochClock.Elapsed - trainingTime);
                    epochRunner.Epochs = budget.PlannedEpochs;
                    metrics = metrics with
                    {
                        Epochs = budget.PlannedEpochs,
                        EstimatedRemaining = epochClock.Elapsed * Math.Max(0, budget.PlannedEpochs - epoch),
                    };
                }
                run.EndEpoch(metrics, earlyStopping);
                if (settings.CheckpointDirectory is { } directory)
                    run.SaveCheckpoint(Path.Combine(directory, TrainingCheckpoint.FileName), seed);
                settings.MetricsCallback?.Invoke(metrics);
            }
            if (budget is { Shortened: true })
                log?.Invoke($"Time budget: trained {run.History.Count} of {epochs} epochs to fit MaxTrainingTime = " +
                    $"{budget.Budget:g} (the learning-rate schedule was planned for the steps that fit).");
            return run.Finish(earlyStopping) with
            {
                Settings = settings,
                AutomaticChoices = choices,
                Data = data.Profile,
                StoppedByTimeBudget = budget is { Shortened: true } or { Exhausted: true },
            };
        }
        finally
        {
            features?.Dispose();
            trainable.Release();
            model.TrainingPrecision = precision;
            model.eval();
            run.Dispose();
        }
    }

    /// <summary>Everything that changes across epochs and goes into a checkpoint.</summary>
    private sealed class RunState(NFNetModel model, ImageDataSource train, NFNetOptimizer optimizer, TrainingData data,
        string trainableParts) : IDisposable
    {
        public NFNetModel Model { get; } = model;
        public NFNetOptimizer Optimizer { get; } = optimizer;
        public List<TrainingMetrics> History { get; private set; } = [];
        public Dictionary<string, Tensor>? BestWeights { get; private set; }
        public int BestEpoch { get; private set; }
        public double? BestMetric { get; private set; }
        public int EpochsWithoutImprovement { get; private set; }
        public bool Stopped { get; private set; }

        /// <summary>An epoch cut short without validation: recorded, but it cannot become the best one.</summary>
        public void EndUnvalidatedEpoch(TrainingMetrics metrics) => History.Add(metrics);

        public void EndEpoch(TrainingMetrics metrics, EarlyStoppingOptions? earlyStopping)
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
                if (earlyStopping.RestoresBestWeights)
                    KeepBestWeights();
            }
            else if (++EpochsWithoutImprovement >= earlyStopping.ResolvedPatience)
            {
                Stopped = true;
            }
        }

        public NFNetTrainingResult Finish(EarlyStoppingOptions? earlyStopping)
        {
            var selected = History.Count;
            if (earlyStopping is { RestoresBestWeights: true } && BestWeights is not null)
            {
                using (no_grad())
                    foreach (var (name, tensor) in Model.state_dict())
                        tensor.copy_(BestWeights[name]);
                selected = BestEpoch;
            }
            else
            {
                Optimizer.Ema?.CopyTo(Model);
            }
            return new NFNetTrainingResult
            {
                History = History.ToArray(),
                EpochsCompleted = History.Count,
                SelectedEpoch = selected,
                StoppedEarly = Stopped && History.Count > 0 && History[^1].Epoch < History[^1].Epochs,
                SkippedImages = data.SkippedImages,
            };
        }

        public void SaveCheckpoint(string path, int seed) => TrainingCheckpoint.Save(path, Model, Optimizer, BestWeights, new TrainingProgress
        {
            Seed = seed,
            TrainCount = train.Count,
            ClassCount = Model.NumClasses,
            Architecture = Model.Config.ToJson(),
            EpochsCompleted = History.Count,
            History = History,
            BestEpoch = BestEpoch,
            BestMetric = BestMetric,
            EpochsWithoutImprovement = EpochsWithoutImprovement,
            SkippedImages = [.. data.LeftOut.Training],
            TrainableParts = trainableParts,
        });

        public void Restore(string path, int seed)
        {
            var (progress, best) = TrainingCheckpoint.Load(path, Model, Optimizer, seed, train.Count, trainableParts);
            // A checkpoint's history holds epoch reports only (checkpoints written before IsEpochEnd existed lack the flag).
            History = progress.History.Select(metrics => metrics with { IsEpochEnd = true }).ToList();
            BestEpoch = progress.BestEpoch;
            BestMetric = progress.BestMetric;
            EpochsWithoutImprovement = progress.EpochsWithoutImprovement;
            ReplaceBest(best);
        }

        // The model's weights as they will be evaluated (the EMA when it is on), copied off the device.
        private void KeepBestWeights()
        {
            using var ema = Optimizer.Ema?.SwapIn();
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

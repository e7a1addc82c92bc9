
namespace Microsoft.ML.NFNet;

/// <summary>
/// How the training engine trains an <see cref="NFNetModel"/>: epochs, batching, preprocessing, the optimizer recipe,
/// what trains, early stopping, checkpoints and progress reporting. The ML.NET trainer takes the same record
/// (<c>NFNetImageClassificationTrainer.Options.Training</c>), so every setting is reachable from both, one statement
/// deep: <c>options.Training.Epochs = 5;</c>, <c>options.Training.Preprocessing.ImageSize = 64;</c>.
/// </summary>
/// <remarks>
/// <para>The defaults (<c>new NFNetTrainingOptions()</c>) suit what most users have: a few hundred to a few thousand
/// images trained on a CPU. Settings documented as "null: automatic" are chosen from the data when training starts;
/// the choices are logged and saved with the model, and a value you set always wins.
/// <see cref="DeepMindImageNet"/> is the paper's ImageNet recipe.</para>
/// </remarks>
public sealed record NFNetTrainingOptions
{
    private static readonly OptionCheck Check = new(nameof(NFNetTrainingOptions));

    /// <summary>
    /// DeepMind's ImageNet recipe (Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without
    /// Normalization", section 4 and appendix): 360 epochs, peak learning rate 0.1 · batch / 256 after a 5-epoch warm-up,
    /// EMA of the weights (0.99999), label smoothing 0.1, random-resized crops (8–100 % of the area) at 224 px with flips,
    /// MixUp (α 0.2) and CutMix, bfloat16 compute. Meant for large datasets and large batches; RandAugment is not
    /// implemented. A new instance on every call, so changing it changes nothing else.
    /// </summary>
    public static NFNetTrainingOptions DeepMindImageNet => new()
    {
        Epochs = 360,
        BatchSize = 4096,
        Precision = NFNetPrecision.BFloat16,
        Optimizer = new NFNetOptimizerOptions
        {
            LearningRate = 0.1,
            ScaleLearningRateWithBatchSize = true,
            WarmupEpochs = 5,
            ClippingFactor = 0.01,
            EmaDecay = 0.99999,
        },
        Preprocessing = new ImagePreprocessingOptions
        {
            ImageSize = 224,
            CropScaleMin = 0.08,
            HorizontalFlipProbability = 0.5,
            MixUpAlpha = 0.2,
            CutMixAlpha = 1.0,
        },
    };

    /// <summary>Passes over the training data; null (default): automatic.</summary>
    public int? Epochs { get; set; }

    /// <summary>
    /// The longest the training may take (Model Builder's "time to train"); null (default): no limit. The engine measures
    /// the speed of the first steps, shortens the run to what fits in the budget (the learning-rate schedule is planned
    /// for that many steps, so it still decays to 0 at the end), stops at the budget at the latest, and keeps the best
    /// validation epoch. Data checking before training and the final validation count towards it. On a CPU, a start from
    /// pretrained weights with neither <see cref="TrainableParts"/> nor <see cref="Epochs"/> set plans for 10 minutes
    /// when this is null, and chooses what trains and at which resolution to fit it (docs/transfer-learning.md).
    /// </summary>
    public TimeSpan? MaxTrainingTime { get; set; }

    /// <summary>Images per optimizer step (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Images per forward and backward pass within a step, for less memory; null (default): automatic, 8 when training
    /// more than the head on a CPU at 176 px or more, else the whole batch. The gradients of a step's micro-batches add
    /// up to the whole batch's, and NFNets have no batch normalization, so a step is the same (up to float rounding)
    /// whatever the micro-batch: the learning rate, AGC and the schedule still see <see cref="BatchSize"/>. Whole-network
    /// fine-tuning of eca_nfnet_l0 at 224 px and batch 32 peaked at 3.7–3.8 GB on a CPU; micro-batches of 8 halved that
    /// and were faster (docs/transfer-learning.md).
    /// </summary>
    public int? MicroBatchSize { get; set; }

    /// <summary>Decoding, resizing, augmentation and normalization (saved with the model and used for scoring).</summary>
    public ImagePreprocessingOptions Preprocessing { get; set; } = new();

    /// <summary>Optimizer, learning-rate schedule, AGC and EMA.</summary>
    public NFNetOptimizerOptions Optimizer { get; set; } = new();

    /// <summary>
    /// What trains when the network starts from pretrained weights (<see cref="NFNetTrainableParts"/>); frozen parts stay
    /// in eval mode and get no gradient, optimizer state, EMA or AGC. Null (default): automatic (the whole network when
    /// starting from pretrained weights, on a CPU the whole network or the head, whichever fits the time budget at the
    /// measured speed; always the whole network from scratch).
    /// </summary>
    public NFNetTrainableParts? TrainableParts { get; set; }

    /// <summary>With <see cref="TrainableParts"/> = <see cref="NFNetTrainableParts.LastStages"/>: how many of the last
    /// stages train (default 1; at most the architecture's stage count).</summary>
    public int TrainableLastStages { get; set; } = 1;

    /// <summary>
    /// The learning rate of the trained pretrained parameters (everything but the classifier) as a fraction of the
    /// scheduled rate, which the new classifier gets, in (0, 1]; lower values keep the pretrained features closer to
    /// where they were. Null (default): automatic (1 when starting from pretrained weights). Has no effect when only the
    /// head trains or when training from scratch.
    /// </summary>
    public double? BackboneLearningRateFactor { get; set; }

    /// <summary>Label smoothing of the cross-entropy loss, in [0, 1) (default 0.1).</summary>
    public double LabelSmoothing { get; set; } = 0.1;

    /// <summary>Stop when validation stops improving and keep the best epoch's weights (default: on the validation loss,
    /// with an automatic patience of half the epochs). Applies only when there is validation data; null trains all epochs
    /// (and keeps the last).</summary>
    public EarlyStoppingOptions? EarlyStopping { get; set; } = new();

    /// <summary>Report <see cref="TrainingMetrics"/> (running averages) every this many batches (default 10; 0 = epoch reports only).</summary>
    public int LogEveryBatches { get; set; } = 10;

    /// <summary>Receives progress (batch and epoch reports) on the training thread; the ML.NET trainer logs them to the
    /// MLContext log when this is null.</summary>
    public Action<TrainingMetrics>? MetricsCallback { get; set; }

    /// <summary>Where to train (default: a CUDA GPU when the CUDA backend is referenced and one is present, else the CPU).</summary>
    public NFNetDevice Device { get; set; } = NFNetDevice.Auto;

    /// <summary>The number format of the forward and backward passes (default float32).</summary>
    public NFNetPrecision Precision { get; set; } = NFNetPrecision.Float32;

    /// <summary>Seed of every random choice (initialisation, validation split, data order, augmentation, dropout,
    /// stochastic depth): equal seeds give equal models on CPU. Null (default): a seed is drawn at random — under ML.NET
    /// from the <c>MLContext</c>'s random source, so <c>new MLContext(seed: 1)</c> repeats a run — and the seed used is
    /// in <see cref="NFNetTrainingResult.Settings"/>.</summary>
    public int? Seed { get; set; }

    /// <summary>Folder for the end-of-epoch checkpoint (<c>last.nfckpt</c>); null (default) writes none.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Leave out images that cannot be decoded (logged and counted) instead of failing before training with an
    /// error that names the image (default false).</summary>
    public bool SkipInvalidImages { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Epochs is { } epochs)
            Check.AtLeast(epochs, 1, nameof(Epochs));
        if (MaxTrainingTime is { } budget)
            Check.That(budget > TimeSpan.Zero, nameof(MaxTrainingTime), budget, "must be positive (or null for no limit)");
        Check.AtLeast(BatchSize, 1, nameof(BatchSize));
        if (MicroBatchSize is { } microBatch)
            Check.AtLeast(microBatch, 1, nameof(MicroBatchSize));
        Check.Fraction(LabelSmoothing, nameof(LabelSmoothing));
        Check.AtLeast(LogEveryBatches, 0, nameof(LogEveryBatches));
        Check.Defined(Device, nameof(Device));
        Check.Defined(Precision, nameof(Precision));
        Check.That(CheckpointDirectory is null || CheckpointDirectory.Trim().Length > 0, nameof(CheckpointDirectory),
            CheckpointDirectory, "must be a folder path (or null for no checkpoints)");
        Check.NotNull(Preprocessing, nameof(Preprocessing));
        Check.NotNull(Optimizer, nameof(Optimizer));
        Preprocessing.Validate();
        Optimizer.Validate();
        EarlyStopping?.Validate();
        if (TrainableParts is { } parts)
            Check.Defined(parts, nameof(TrainableParts));
        Check.AtLeast(TrainableLastStages, 1, nameof(TrainableLastStages));
        if (BackboneLearningRateFactor is { } factor)
            Check.That(double.IsFinite(factor) && factor > 0 && factor <= 1, nameof(BackboneLearningRateFactor), factor,
                "must be in (0, 1]");
    }

    /// <summary>A copy that shares no mutable object with this one (the trainer and the engine work on a copy, so a
    /// caller's later changes affect nothing).</summary>
    internal NFNetTrainingOptions Copy() => this with
    {
        Preprocessing = Preprocessing.Copy(),
        Optimizer = Optimizer with { },
        EarlyStopping = EarlyStopping is null ? null : EarlyStopping with { },
    };

    /// <summary>What trains, as the optimizer and the freezing see it.</summary>
    internal FineTuningSettings FineTuning => new(TrainableParts ?? NFNetTrainableParts.All, TrainableLastStages,
        BackboneLearningRateFactor ?? 1.0);
}

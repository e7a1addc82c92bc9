
namespace Microsoft.ML.NFNet;

/// <summary>
/// How the training engine trains an <see cref="NFNetModel"/>: epochs, batching, preprocessing, the optimizer recipe,
/// validation, early stopping, checkpoints and progress reporting. The ML.NET trainer takes the same record
/// (<c>NFNetImageClassificationTrainer.Options.Training</c>), so every setting is reachable from both.
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
    /// DeepMind's ImageNet recipe (Brock et al. 2021; ../shared/docs/nfnet-reference.md §7): 360 epochs, peak learning
    /// rate 0.1 · batch / 256 after a 5-epoch warm-up, EMA of the weights (0.99999), label smoothing 0.1, random-resized
    /// crops (8–100 % of the area) at 224 px with flips, MixUp (α 0.2) and CutMix, bfloat16 compute. Meant for large
    /// datasets and large batches; RandAugment is not implemented.
    /// </summary>
    public static NFNetTrainingOptions DeepMindImageNet { get; } = new()
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
    public int? Epochs { get; init; }

    /// <summary>
    /// The longest the training may take (Model Builder's "time to train"); null (default): no limit. The engine measures
    /// the speed of the first steps, shortens the run to what fits in the budget (the learning-rate schedule is planned
    /// for that many steps, so it still decays to 0 at the end), stops at the budget at the latest, and keeps the best
    /// validation epoch. Data checking before training and the final validation count towards it.
    /// </summary>
    public TimeSpan? MaxTrainingTime { get; init; }

    /// <summary>Images per optimizer step (default 32).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Decoding, resizing, augmentation and normalization (saved with the model and used for scoring).</summary>
    public ImagePreprocessingOptions Preprocessing { get; init; } = new();

    /// <summary>Optimizer, learning-rate schedule, AGC and EMA.</summary>
    public NFNetOptimizerOptions Optimizer { get; init; } = new();

    /// <summary>
    /// Fine-tuning of a model that starts from pretrained weights: which parts train, and the backbone's learning-rate
    /// factor. Null (default): the model trains as a whole with the from-scratch defaults. The ML.NET trainer sets an
    /// automatic <c>new NFNetFineTuningOptions()</c> when <c>PretrainedWeights</c> is given; with the engine, set it (e.g.
    /// to <c>new()</c>) after loading pretrained weights into the model, and the automatic settings follow the
    /// fine-tuning defaults instead (README, "Transfer learning").
    /// </summary>
    public NFNetFineTuningOptions? FineTuning { get; init; }

    /// <summary>Label smoothing of the cross-entropy loss, in [0, 1) (default 0.1).</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Stop when validation stops improving and keep the best epoch's weights (default: on the validation loss,
    /// with an automatic patience of half the epochs). Applies only when there is validation data; null trains all epochs
    /// (and keeps the last).</summary>
    public EarlyStoppingOptions? EarlyStopping { get; init; } = new();

    /// <summary>Report <see cref="TrainingPhase.Batch"/> metrics every this many batches (default 10; 0 = epoch reports only).</summary>
    public int LogEveryBatches { get; init; } = 10;

    /// <summary>Receives progress (batch and epoch reports) on the training thread; the ML.NET trainer logs them to the
    /// MLContext log when this is null.</summary>
    public Action<TrainingMetrics>? MetricsCallback { get; init; }

    /// <summary>Receives one-line notes for the log: the automatic choices, images left out, resumption.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Where to train (default: a CUDA GPU when the CUDA backend is referenced and one is present, else the CPU).</summary>
    public NFNetDevice Device { get; init; } = NFNetDevice.Auto;

    /// <summary>The number format of the forward and backward passes (default float32).</summary>
    public NFNetPrecision Precision { get; init; } = NFNetPrecision.Float32;

    /// <summary>Seed of every random choice (initialisation, validation split, data order, augmentation, dropout,
    /// stochastic depth): equal seeds give equal models on CPU. Null (default): the engine uses 0, the ML.NET trainer a
    /// seed from the <c>MLContext</c>.</summary>
    public int? Seed { get; init; }

    /// <summary>Folder for the end-of-epoch checkpoint (<c>last.nfckpt</c>); null (default) writes none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>A checkpoint to continue from (e.g. <c>CheckpointDirectory/last.nfckpt</c> of an interrupted run).
    /// With ML.NET use <c>ResumeFromCheckpoint</c> instead.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Leave out images that cannot be decoded (logged and counted) instead of failing before training with an
    /// error that names the image (default false).</summary>
    public bool SkipInvalidImages { get; init; }

    /// <summary>The seed the engine uses when <see cref="Seed"/> is null.</summary>
    internal const int DefaultSeed = 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Epochs is { } epochs)
            Check.AtLeast(epochs, 1, nameof(Epochs));
        if (MaxTrainingTime is { } budget)
            Check.That(budget > TimeSpan.Zero, nameof(MaxTrainingTime), budget, "must be positive (or null for no limit)");
        Check.AtLeast(BatchSize, 1, nameof(BatchSize));
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
        FineTuning?.Validate();
    }
}

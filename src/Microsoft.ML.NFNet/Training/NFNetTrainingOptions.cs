namespace Microsoft.ML.NFNet;

/// <summary>Precision of the forward and backward passes (parameters and optimizer state are always float32).</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in float32.</summary>
    Float32,
    /// <summary>Activations and convolutions in bfloat16, float32 master weights (faster on GPUs and bf16-capable CPUs).</summary>
    BFloat16,
}

/// <summary>How the training engine trains an <see cref="NFNetModel"/>: epochs, batching, preprocessing, the optimizer
/// recipe, validation, early stopping, checkpoints and progress reporting. Defaults suit a few thousand images.</summary>
public sealed record NFNetTrainingOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Images per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Decoding, resizing, augmentation and normalization (shared with scoring).</summary>
    public ImagePreprocessingOptions Preprocessing { get; init; } = new();

    /// <summary>Optimizer, learning rate schedule, AGC and EMA.</summary>
    public NFNetOptimizerOptions Optimizer { get; init; } = new();

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Stop when the validation metric stops improving; null = train all epochs. Needs validation data.</summary>
    public EarlyStoppingOptions? EarlyStopping { get; init; }

    /// <summary>Report <see cref="TrainingPhase.Batch"/> metrics every this many batches (0 = epoch reports only).</summary>
    public int LogEveryBatches { get; init; } = 10;

    /// <summary>Receives progress (batch and epoch reports) on the training thread.</summary>
    public Action<TrainingMetrics>? MetricsCallback { get; init; }

    /// <summary>Where to train.</summary>
    public NFNetDevice Device { get; init; } = NFNetDevice.Cpu;

    /// <summary>Mixed precision.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;

    /// <summary>Seed of every random choice (data order, augmentation, dropout, stochastic depth): equal seeds give equal
    /// models on CPU.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Folder for the end-of-epoch checkpoint (<c>last.nfckpt</c>); null = no checkpoints.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>A checkpoint to continue from (e.g. <c>CheckpointDirectory/last.nfckpt</c> of an interrupted run).</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Skip images that cannot be decoded (counted in <see cref="TrainingMetrics.SkippedImages"/>) instead of
    /// failing with an error that names the image.</summary>
    public bool SkipInvalidImages { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (LabelSmoothing is < 0 or >= 1 || double.IsNaN(LabelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        if (LogEveryBatches < 0)
            throw new ArgumentOutOfRangeException(nameof(LogEveryBatches), LogEveryBatches, "LogEveryBatches must be ≥ 0.");
        if (!Enum.IsDefined(Device))
            throw new ArgumentOutOfRangeException(nameof(Device), Device, "Unknown device.");
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Unknown precision.");
        ArgumentNullException.ThrowIfNull(Preprocessing);
        ArgumentNullException.ThrowIfNull(Optimizer);
        Preprocessing.Validate();
        Optimizer.Validate();
        EarlyStopping?.Validate();
    }
}

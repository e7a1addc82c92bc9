namespace Microsoft.ML.NFNet;

/// <summary>Progress of training, delivered to <see cref="NFNetTrainingOptions.MetricsCallback"/>.</summary>
public sealed record TrainingMetrics
{
    /// <summary>True: the report at the end of an epoch, with the epoch's averages and the validation results. False:
    /// a report every <see cref="NFNetTrainingOptions.LogEveryBatches"/> batches, with running averages since the epoch
    /// began.</summary>
    public bool IsEpochEnd { get; init; }

    /// <summary>Epoch, 1-based.</summary>
    public required int Epoch { get; init; }

    /// <summary>Total epochs planned.</summary>
    public required int Epochs { get; init; }

    /// <summary>Batch within the epoch, 1-based (for epoch reports: the batches trained in the epoch, fewer than
    /// <see cref="BatchesPerEpoch"/> when <see cref="NFNetTrainingOptions.MaxTrainingTime"/> ended it early).</summary>
    public required int Batch { get; init; }

    /// <summary>Batches per epoch.</summary>
    public required int BatchesPerEpoch { get; init; }

    /// <summary>Optimizer steps taken so far.</summary>
    public required long Step { get; init; }

    /// <summary>Mean training loss (with label smoothing / mixing) since the start of the epoch.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Training accuracy since the start of the epoch (on the augmented images; vs. the dominant label when mixing).</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Learning rate of the last step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Training throughput since the start of the epoch (data preparation included).</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Fraction of AGC units clipped since the start of the epoch (0 when AGC is off).</summary>
    public required double ClippedUnitFraction { get; init; }

    /// <summary>Time since training started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time until the last epoch ends (early stopping may end sooner).</summary>
    public required TimeSpan EstimatedRemaining { get; init; }

    /// <summary>Validation loss (plain cross-entropy), epoch reports with a validation set only.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Validation accuracy, epoch reports with a validation set only.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Images skipped because they could not be decoded (when skipping is enabled), so far.</summary>
    public int SkippedImages { get; init; }

    /// <summary>A one-line summary for logs.</summary>
    public override string ToString()
    {
        var validation = ValidationLoss is { } vl ? $", val loss {vl:F4}, val acc {ValidationAccuracy:P1}" : "";
        return $"epoch {Epoch}/{Epochs} batch {Batch}/{BatchesPerEpoch}: loss {TrainLoss:F4}, acc {TrainAccuracy:P1}{validation}, " +
               $"lr {LearningRate:G3}, {ImagesPerSecond:F1} img/s, AGC clipped {ClippedUnitFraction:P1}, " +
               $"elapsed {Elapsed:hh\\:mm\\:ss}, left ~{EstimatedRemaining:hh\\:mm\\:ss}";
    }
}

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>The end-of-epoch numbers the training curves plot (validation values are null without a validation set).</summary>
internal sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss,
    double? ValidationAccuracy, double LearningRate, double ImagesPerSecond, double ElapsedSeconds)
{
    public static EpochRecord From(TrainingMetrics m) => new(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss,
        m.ValidationAccuracy, m.LearningRate, m.ImagesPerSecond, m.Elapsed.TotalSeconds);
}

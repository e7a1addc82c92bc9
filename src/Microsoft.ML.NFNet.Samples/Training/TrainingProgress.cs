using System.Globalization;
using Microsoft.ML.NFNet.Samples.Reporting;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>
/// Live training progress: one Spectre.Console progress bar per epoch, fed by the trainer's MetricsCallback, showing
/// loss, accuracy, learning rate, images/s and the time left. Also keeps the epoch reports for the charts.
/// </summary>
internal sealed class TrainingProgress
{
    private readonly Dictionary<int, ProgressTask> epochBars = [];
    private readonly List<EpochRecord> epochs = [];
    private ProgressContext? context;

    public IReadOnlyList<EpochRecord> Epochs => epochs;

    /// <summary>Runs <paramref name="train"/> while showing the bars; the callback may be called from any thread.</summary>
    public T Run<T>(Func<T> train)
    {
        // A log file or CI console cannot redraw bars: print one line per epoch there instead.
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return train();
        return AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(progress =>
            {
                context = progress;
                return train();
            });
    }

    public void OnMetrics(TrainingMetrics metrics)
    {
        lock (epochBars)
        {
            if (metrics.IsEpochEnd)
                epochs.Add(EpochRecord.From(metrics));
            if (context is null)
            {
                if (metrics.IsEpochEnd)
                    AnsiConsole.MarkupLine(Describe(metrics));
                return;
            }
            if (!epochBars.TryGetValue(metrics.Epoch, out var bar))
                epochBars[metrics.Epoch] = bar = context.AddTask(Describe(metrics), maxValue: metrics.BatchesPerEpoch);
            bar.Value = metrics.IsEpochEnd ? bar.MaxValue : metrics.Batch;
            bar.Description = Describe(metrics);
            context.Refresh();
        }
    }

    private static string Describe(TrainingMetrics m)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"Epoch {m.Epoch}/{m.Epochs}  loss {m.TrainLoss:F3}  acc {m.TrainAccuracy:P1}  lr {m.LearningRate:G3}  {m.ImagesPerSecond:F0} img/s");
        if (m.ValidationAccuracy is { } validationAccuracy)
            text += string.Create(CultureInfo.InvariantCulture, $"  [green]val loss {m.ValidationLoss:F3}  val acc {validationAccuracy:P1}[/]");
        return text + $"  [grey]left {m.EstimatedRemaining:mm\\:ss}[/]";
    }
}

using System.Globalization;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>
/// Training progress from the trainer's MetricsCallback: on a terminal, a live bar per epoch (loss, accuracy, learning
/// rate, images/s, time left); redirected to a file or a pipe, one plain line per epoch, which neither redraws nor wraps.
/// </summary>
/// <param name="plainOutput">Where to write the lines instead of live bars; null = the console, with bars on a terminal.</param>
public sealed class ProgressDisplay(TextWriter? plainOutput = null)
{
    private readonly Dictionary<int, ProgressTask> bars = [];
    private ProgressContext? context;

    /// <summary>Runs <paramref name="train"/>, showing bars while it runs when stdout is a terminal.</summary>
    public T Run<T>(Func<T> train)
    {
        // Spectre.Console may think a console interactive when only stdout is redirected; a file must get lines.
        if (plainOutput is not null || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return train();
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(progress =>
            {
                context = progress;
                return train();
            });
    }

    /// <summary>The MetricsCallback; the trainer may call it from any thread.</summary>
    public void OnMetrics(TrainingMetrics metrics)
    {
        lock (bars)
        {
            if (context is null)
            {
                if (metrics.IsEpochEnd)
                    (plainOutput ?? Console.Out).WriteLine(Describe(metrics, markup: false));
                return;
            }
            if (!bars.TryGetValue(metrics.Epoch, out var bar))
                bars[metrics.Epoch] = bar = context.AddTask(Describe(metrics, markup: true), maxValue: metrics.BatchesPerEpoch);
            bar.Value = metrics.IsEpochEnd ? bar.MaxValue : metrics.Batch;
            bar.Description = Describe(metrics, markup: true);
            context.Refresh();
        }
    }

    private static string Describe(TrainingMetrics m, bool markup)
    {
        string Colour(string colour, string text) => markup ? $"[{colour}]{text}[/]" : text;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"Epoch {m.Epoch}/{m.Epochs}  loss {m.TrainLoss:F3}  acc {m.TrainAccuracy:P1}  lr {m.LearningRate:G3}  {m.ImagesPerSecond:F0} img/s");
        if (m.ValidationAccuracy is { } accuracy)
            text += "  " + Colour("green", string.Create(CultureInfo.InvariantCulture, $"val loss {m.ValidationLoss:F3}  val acc {accuracy:P1}"));
        return text + "  " + Colour("grey", $"left {m.EstimatedRemaining:mm\\:ss}");
    }
}

using System.Globalization;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Prints an evaluation: headline metrics, a per-class table and the confusion matrix.</summary>
internal static class EvaluationReport
{
    public static void Print(EvaluationSummary summary)
    {
        var m = summary.Metrics;
        AnsiConsole.Write(new Rule($"[bold]Evaluation on {Markup.Escape(summary.DatasetName)}[/]").LeftJustified());
        AnsiConsole.MarkupLine(Invariant($"Accuracy (micro) [bold]{m.MicroAccuracy:P1}[/]   accuracy (macro) [bold]{m.MacroAccuracy:P1}[/]   ") +
            Invariant($"log-loss [bold]{m.LogLoss:F3}[/]   log-loss reduction {m.LogLossReduction:F3}"));

        var perClass = new Table().AddColumns("class", "precision", "recall", "log-loss", "images");
        var confusion = m.ConfusionMatrix;
        for (var i = 0; i < summary.ClassNames.Count; i++)
            perClass.AddRow(Markup.Escape(summary.ClassNames[i]), Invariant($"{confusion.PerClassPrecision[i]:P1}"),
                Invariant($"{confusion.PerClassRecall[i]:P1}"), Invariant($"{m.PerClassLogLoss[i]:F3}"),
                Invariant($"{summary.Counts[i].Sum():0}"));
        AnsiConsole.Write(perClass);

        var matrix = new Table().Title("Confusion matrix (rows: true class, columns: predicted)").AddColumn("");
        foreach (var (_, index) in summary.ClassNames.Select((n, i) => (n, i)))
            matrix.AddColumn(new TableColumn(Invariant($"{index}")).RightAligned());
        for (var row = 0; row < summary.ClassNames.Count; row++)
            matrix.AddRow([Markup.Escape($"{row} {summary.ClassNames[row]}"),
                .. summary.Counts[row].Select((count, column) => Cell(count, row == column))]);
        AnsiConsole.Write(matrix);
    }

    private static string Cell(double count, bool diagonal) => count == 0 ? "[grey]·[/]"
        : diagonal ? Invariant($"[green]{count:0}[/]") : Invariant($"[red]{count:0}[/]");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

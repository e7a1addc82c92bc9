using System.Globalization;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Draws loss and accuracy per epoch, training vs validation, as two side-by-side line charts. The legend sits
/// between each panel's title and its plot, so it never covers a curve.</summary>
internal static class TrainingCurveChart
{
    private const int PanelWidth = 600, Height = 490;
    private static readonly SKColor TrainColor = new(31, 119, 180), ValidationColor = new(255, 127, 14), GridColor = new(225, 225, 225);

    public static void Save(IReadOnlyList<TrainingMetrics> epochs, string path, string title)
    {
        using var chart = new ChartCanvas(2 * PanelWidth, Height);
        chart.Text(title, PanelWidth, 28, 20, SKTextAlign.Center, bold: true);
        var lossMax = epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss ?? 0 }).DefaultIfEmpty(1).Max();
        DrawPanel(chart, 0, "Loss (training loss includes label smoothing)", epochs, e => e.TrainLoss, e => e.ValidationLoss,
            0, NiceCeiling(lossMax), percent: false);
        DrawPanel(chart, PanelWidth, "Accuracy", epochs, e => e.TrainAccuracy, e => e.ValidationAccuracy, 0, 1, percent: true);
        chart.SavePng(path);
    }

    private static void DrawPanel(ChartCanvas chart, float left, string title, IReadOnlyList<TrainingMetrics> epochs,
        Func<TrainingMetrics, double> train, Func<TrainingMetrics, double?> validation, double yMin, double yMax, bool percent)
    {
        var (plot, legend) = PanelLayout(left);
        var canvas = chart.Canvas;
        chart.Text(title, plot.MidX, 62, 15, SKTextAlign.Center);
        var lastEpoch = Math.Max(2, epochs.Count);
        float X(double epoch) => plot.Left + (float)((epoch - 1) / (lastEpoch - 1)) * plot.Width;
        float Y(double value) => plot.Bottom - (float)((value - yMin) / (yMax - yMin)) * plot.Height;

        using (var grid = ChartCanvas.Stroke(GridColor, 1))
        {
            for (var i = 0; i <= 5; i++)
            {
                var value = yMin + (yMax - yMin) * i / 5;
                canvas.DrawLine(plot.Left, Y(value), plot.Right, Y(value), grid);
                var label = percent ? value.ToString("P0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);
                chart.Text(label, plot.Left - 8, Y(value) + 5, 13, SKTextAlign.Right);
            }
            var step = Math.Max(1, (int)Math.Ceiling(lastEpoch / 10.0));
            for (var epoch = 1; epoch <= lastEpoch; epoch += step)
            {
                canvas.DrawLine(X(epoch), plot.Top, X(epoch), plot.Bottom, grid);
                chart.Text(epoch.ToString(CultureInfo.InvariantCulture), X(epoch), plot.Bottom + 20, 13, SKTextAlign.Center);
            }
        }
        using (var axis = ChartCanvas.Stroke(SKColors.Black, 1.5f))
            canvas.DrawRect(plot, axis);
        chart.Text("epoch", plot.MidX, plot.Bottom + 42, 14, SKTextAlign.Center);

        DrawSeries(canvas, epochs.Select(e => (e.Epoch, (double?)train(e))), X, Y, TrainColor, dashed: false);
        DrawSeries(canvas, epochs.Select(e => (e.Epoch, validation(e))), X, Y, ValidationColor, dashed: true);
        DrawLegend(chart, legend, epochs.Any(e => validation(e) is not null));
    }

    private static void DrawSeries(SKCanvas canvas, IEnumerable<(int Epoch, double? Value)> points,
        Func<double, float> x, Func<double, float> y, SKColor color, bool dashed)
    {
        var present = points.Where(p => p.Value is not null).Select(p => new SKPoint(x(p.Epoch), y(p.Value!.Value))).ToArray();
        if (present.Length == 0)
            return;
        using var line = ChartCanvas.Stroke(color, 2.5f, dashed);
        using var dot = ChartCanvas.Fill(color);
        using var path = new SKPath();
        path.AddPoly(present, close: false);
        canvas.DrawPath(path, line);
        foreach (var point in present)
            canvas.DrawCircle(point, 4, dot);
    }

    /// <summary>Where a panel starting at <paramref name="left"/> draws its plot, and its legend: a row above the plot.</summary>
    internal static (SKRect Plot, SKRect Legend) PanelLayout(float left)
    {
        var plot = new SKRect(left + 70, 104, left + PanelWidth - 25, Height - 60);
        return (plot, new SKRect(plot.MidX - 130, 74, plot.MidX + 130, 96));
    }

    private static void DrawLegend(ChartCanvas chart, SKRect legend, bool hasValidation)
    {
        var y = legend.MidY;
        DrawLegendEntry(chart, hasValidation ? legend.Left : legend.MidX - 60, y, TrainColor, "training", dashed: false);
        if (hasValidation)
            DrawLegendEntry(chart, legend.MidX + 10, y, ValidationColor, "validation", dashed: true);
    }

    private static void DrawLegendEntry(ChartCanvas chart, float x, float y, SKColor color, string label, bool dashed)
    {
        using var line = ChartCanvas.Stroke(color, 2.5f, dashed);
        chart.Canvas.DrawLine(x, y, x + 36, y, line);
        chart.Text(label, x + 44, y + 5, 14);
    }

    // Rounds the loss axis up to 1, 2, 2.5, 3, 4 or 5 times a power of ten so the tick labels stay short.
    private static double NiceCeiling(double value)
    {
        if (value <= 0 || double.IsNaN(value) || double.IsInfinity(value))
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 2.5, 3, 4, 5, 10 }.Select(f => f * magnitude).First(c => c >= value);
    }
}

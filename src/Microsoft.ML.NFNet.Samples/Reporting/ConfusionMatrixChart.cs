using System.Globalization;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Draws a confusion matrix as a heat map: rows are true classes, columns predicted classes, each cell shows
/// its count, shaded by the share of its row (so the diagonal reads as per-class recall).</summary>
internal static class ConfusionMatrixChart
{
    private const int Cell = 56, LeftMargin = 150, TopMargin = 90, BottomMargin = 130;

    public static void Save(IReadOnlyList<string> classNames, IReadOnlyList<IReadOnlyList<double>> counts, string path, string title)
    {
        var n = classNames.Count;
        using var chart = new ChartCanvas(LeftMargin + n * Cell + 40, TopMargin + n * Cell + BottomMargin);
        var canvas = chart.Canvas;
        chart.Text(title, LeftMargin + n * Cell / 2f, 32, 18, SKTextAlign.Center, bold: true);
        chart.Text("rows: true class, columns: predicted class, shade: share of the row", LeftMargin + n * Cell / 2f, 58, 13,
            SKTextAlign.Center, color: SKColors.DimGray);
        for (var row = 0; row < n; row++)
        {
            var rowTotal = Math.Max(1, counts[row].Sum());
            for (var column = 0; column < n; column++)
            {
                var share = counts[row][column] / rowTotal;
                var rect = SKRect.Create(LeftMargin + column * Cell, TopMargin + row * Cell, Cell, Cell);
                using (var fill = ChartCanvas.Fill(Shade(share, onDiagonal: row == column)))
                    canvas.DrawRect(rect, fill);
                if (counts[row][column] > 0)
                    chart.Text(counts[row][column].ToString("0", CultureInfo.InvariantCulture), rect.MidX, rect.MidY + 5, 14,
                        SKTextAlign.Center, color: share > 0.5 ? SKColors.White : SKColors.Black);
            }
            chart.Text(classNames[row], LeftMargin - 8, TopMargin + row * Cell + Cell / 2f + 5, 13, SKTextAlign.Right);
            chart.Text(classNames[row], LeftMargin + row * Cell + Cell / 2f + 4, TopMargin + n * Cell + 10, 13,
                SKTextAlign.Right, rotateDegrees: -50);
        }
        using (var grid = ChartCanvas.Stroke(SKColors.Gray, 1))
            canvas.DrawRect(LeftMargin, TopMargin, n * Cell, n * Cell, grid);
        chart.Text("true class", 18, TopMargin + n * Cell / 2f, 14, SKTextAlign.Center, rotateDegrees: -90);
        chart.Text("predicted class", LeftMargin + n * Cell / 2f, TopMargin + n * Cell + BottomMargin - 8, 14, SKTextAlign.Center);
        chart.SavePng(path);
    }

    // Correct predictions in blue, mistakes in red: a glance finds the confused class pairs.
    private static SKColor Shade(double share, bool onDiagonal)
    {
        var t = (float)Math.Clamp(share, 0, 1);
        var (r, g, b) = onDiagonal ? (8, 81, 156) : (203, 24, 29);
        byte Mix(int target) => (byte)(255 + (target - 255) * t);
        return new SKColor(Mix(r), Mix(g), Mix(b));
    }
}

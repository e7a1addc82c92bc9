using System.Globalization;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Consumption;

/// <summary>Formats top-k predictions for the console: "Sneaker 91.2 %, Sandal 6.0 %, ...".</summary>
internal static class PredictionFormatter
{
    /// <param name="expected">When known, the true label is shown in green, other labels in default colour.</param>
    public static string TopK(IEnumerable<(string Label, float Score)> predictions, string? expected = null) =>
        string.Join(", ", predictions.Select(p =>
        {
            var text = Markup.Escape(p.Label) + " " + p.Score.ToString("P1", CultureInfo.InvariantCulture);
            return p.Label == expected ? $"[green]{text}[/]" : text;
        }));
}

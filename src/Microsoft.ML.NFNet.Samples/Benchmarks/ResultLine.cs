using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>
/// One benchmark figure as the single line <c>RESULT {json}</c> that shared/tools/anchor/side-by-side.py reads (it takes
/// the first line of the output that starts with "RESULT " and parses the rest as JSON; perf_anchor.py prints the
/// same keys for timm).
/// </summary>
internal static class ResultLine
{
    public const string Prefix = "RESULT ";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Format(BenchmarkResult row, BenchMode mode, int warmup, int threads) => Prefix + JsonSerializer.Serialize(
        new Figure(row.Variant, BenchSettings.NameOf(mode), row.Batch, row.Resolution, row.Precision, Math.Round(row.MedianMs, 3),
            Math.Round(row.MinMs, 3), row.Runs, warmup, threads, row.PeakRssMiB is { } peak ? Math.Round(peak, 1) : null,
            Math.Round(row.ImagesPerSecond, 3), row.AgcShare, row.OptimizerShare), Json);

    // snake_case keys, as perf_anchor.py writes them.
    private sealed record Figure(
        [property: JsonPropertyName("variant")] string Variant,
        [property: JsonPropertyName("mode")] string Mode,
        [property: JsonPropertyName("batch")] int Batch,
        [property: JsonPropertyName("size")] int Size,
        [property: JsonPropertyName("precision")] string? Precision,
        [property: JsonPropertyName("median_ms")] double MedianMs,
        [property: JsonPropertyName("min_ms")] double MinMs,
        [property: JsonPropertyName("runs")] int Runs,
        [property: JsonPropertyName("warmup")] int Warmup,
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("peak_rss_mib")] double? PeakRssMiB,
        [property: JsonPropertyName("images_per_s")] double ImagesPerSecond,
        [property: JsonPropertyName("agc_share")] double? AgcShare,
        [property: JsonPropertyName("optimizer_share")] double? OptimizerShare);
}

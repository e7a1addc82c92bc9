using System.Text.Json;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// One benchmark figure as the single line <c>RESULT {json}</c> that bench/peer/side_by_side.py reads (it takes the
/// first line of the output that starts with "RESULT " and parses the rest as JSON; bench/peer/peer_timing.py prints
/// the same timing keys for timm).
/// </summary>
internal static class ResultLine
{
    public const string Prefix = "RESULT ";

    public static string Format(BenchmarkResult row, BenchMode mode, int warmup, int threads)
    {
        // snake_case keys, as perf_anchor.py writes them; absent values are left out.
        var figure = new Dictionary<string, object?>
        {
            ["variant"] = row.Variant,
            ["mode"] = SpeedSettings.NameOf(mode),
            ["batch"] = row.Batch,
            ["size"] = row.Resolution,
            ["precision"] = row.Precision,
            ["engine"] = row.Engine,
            ["frozen"] = row.Frozen,
            ["median_ms"] = Math.Round(row.MedianMs, 3),
            ["min_ms"] = Math.Round(row.MinMs, 3),
            ["runs"] = row.Runs,
            ["warmup"] = warmup,
            ["threads"] = threads,
            ["peak_rss_mib"] = row.PeakRssMiB is { } peak ? Math.Round(peak, 1) : null,
            ["images_per_s"] = Math.Round(row.ImagesPerSecond, 3),
            ["agc_share"] = row.AgcShare,
            ["optimizer_share"] = row.OptimizerShare,
        };
        foreach (var (key, value) in row.Extra ?? new Dictionary<string, double>())
            figure[key] = Math.Round(value, 3);
        return Prefix + JsonSerializer.Serialize(figure.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value));
    }
}

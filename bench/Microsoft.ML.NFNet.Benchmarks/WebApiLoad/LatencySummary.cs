namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>Throughput and latency percentiles of the measured requests.</summary>
public sealed record LatencySummary(int Succeeded, int Failed, double Seconds, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    /// <summary>Successful requests per second of measurement.</summary>
    public double RequestsPerSecond => Succeeded / Seconds;

    /// <summary>Summarizes the latencies (milliseconds) of the successful requests; nearest-rank percentiles.</summary>
    public static LatencySummary Of(IReadOnlyCollection<double> latenciesMs, int failed, double seconds)
    {
        var sorted = latenciesMs.Order().ToArray();
        return new LatencySummary(sorted.Length, failed, seconds,
            Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    private static double Percentile(double[] sorted, double percent) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(percent / 100 * sorted.Length) - 1)];
}

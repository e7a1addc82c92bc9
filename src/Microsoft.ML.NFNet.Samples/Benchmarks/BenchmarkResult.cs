namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>One row of the benchmark table (the shares are fractions of a training step; null for other modes).</summary>
internal sealed record BenchmarkResult(
    string Variant,
    string Mode,
    string Device,
    int Batch,
    int Resolution,
    int Runs,
    double MedianMs,
    double MinMs,
    double ImagesPerSecond,
    double? PeakRssMiB,
    string Notes,
    double? AgcShare = null,
    double? OptimizerShare = null)
{
    /// <summary>fp32 or bf16 for network figures; null for the data pipeline.</summary>
    public string? Precision { get; init; }
}

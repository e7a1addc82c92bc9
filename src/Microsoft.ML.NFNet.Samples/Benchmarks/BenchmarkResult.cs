namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>One row of the benchmark table.</summary>
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
    string Notes);

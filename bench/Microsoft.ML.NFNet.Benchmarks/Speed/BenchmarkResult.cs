namespace Microsoft.ML.NFNet.Benchmarks.Speed;

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

    /// <summary>torchsharp or onnxruntime for network figures; null for the data pipeline.</summary>
    public string? Engine { get; init; }

    /// <summary>Whether TorchSharp scoring used standardized weights frozen for scoring; null where it does not apply.</summary>
    public bool? Frozen { get; init; }

    /// <summary>More figures of the row for its RESULT line (snake_case keys), e.g. rows/s of Transform and of batches.</summary>
    public IReadOnlyDictionary<string, double>? Extra { get; init; }
}

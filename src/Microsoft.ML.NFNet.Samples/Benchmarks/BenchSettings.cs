using Microsoft.ML.NFNet.Modeling;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>What <c>bench</c> measures: an eval-mode forward, a full training step, or the data pipeline alone.</summary>
internal enum BenchMode
{
    /// <summary>Inference (<c>infer</c>; <c>inference</c> is accepted too).</summary>
    Infer,
    /// <summary>One training step.</summary>
    Train,
    /// <summary>Decode, resize/crop, augment and batch a folder of images.</summary>
    Data,
    /// <summary>Export to ONNX and time ONNX Runtime against TorchSharp scoring, interleaved (not run by default).</summary>
    Onnx,
}

/// <summary>One model figure: a variant in a mode at a batch size and square input size.</summary>
internal sealed record BenchFigure(string Variant, BenchMode Mode, int Batch, int Size);

/// <summary>The settings of one <c>bench</c> run, as read from the command line.</summary>
internal sealed record BenchSettings(
    IReadOnlyList<string> Variants,
    IReadOnlyList<BenchMode> Modes,
    int? Batch,
    int? Size,
    int Runs,
    int Warmup,
    int Threads,
    NFNetPrecision Precision,
    bool ResultLine,
    string DataFolder,
    int DataImageSize,
    string Output)
{
    /// <summary>CLI names of the modes (the side-by-side tool's: infer, train).</summary>
    public static readonly IReadOnlyDictionary<string, BenchMode> ModeNames =
        new Dictionary<string, BenchMode>(StringComparer.OrdinalIgnoreCase)
        {
            ["infer"] = BenchMode.Infer, ["inference"] = BenchMode.Infer, ["train"] = BenchMode.Train, ["data"] = BenchMode.Data,
            ["onnx"] = BenchMode.Onnx,
        };

    /// <summary>CLI names of the precisions.</summary>
    public static readonly IReadOnlyDictionary<string, NFNetPrecision> PrecisionNames =
        new Dictionary<string, NFNetPrecision>(StringComparer.OrdinalIgnoreCase)
        {
            ["fp32"] = NFNetPrecision.Float32, ["bf16"] = NFNetPrecision.BFloat16,
        };

    // The standard figures of the README's table: scoring one image at the evaluation size, a batch at the training size.
    private static readonly (BenchMode Mode, int Batch, int Size)[] StandardFigures =
        [(BenchMode.Infer, 1, 256), (BenchMode.Infer, 8, 192), (BenchMode.Onnx, 1, 256), (BenchMode.Onnx, 8, 192), (BenchMode.Train, 8, 192)];

    /// <summary>The model figures in the order they run: per variant, inference then the training step; one
    /// batch × size when --batch and --size are given, else the standard ones.</summary>
    public IEnumerable<BenchFigure> Figures()
    {
        var shapes = Batch is { } batch && Size is { } size
            ? [(BenchMode.Infer, batch, size), (BenchMode.Onnx, batch, size), (BenchMode.Train, batch, size)]
            : StandardFigures;
        return from variant in Variants
               from shape in shapes
               where Modes.Contains(shape.Mode)
               select new BenchFigure(variant, shape.Mode, shape.Batch, shape.Size);
    }

    /// <summary>The CLI name of a precision, as the table, the JSON and the RESULT lines print it.</summary>
    public static string NameOf(NFNetPrecision precision) => precision == NFNetPrecision.BFloat16 ? "bf16" : "fp32";

    /// <summary>The CLI name of a mode (infer, train, data).</summary>
    public static string NameOf(BenchMode mode) => mode.ToString().ToLowerInvariant();
}

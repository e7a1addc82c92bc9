using TorchSharp;

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
}

/// <summary>The precision of the network's activations and convolutions.</summary>
internal enum BenchPrecision
{
    /// <summary>float32 throughout.</summary>
    Fp32,
    /// <summary>Activations and convolutions in bfloat16 (<see cref="NFNetModel.ComputeType"/>); parameters, weight
    /// standardization and logits stay float32.</summary>
    Bf16,
}

/// <summary>Whether inference reuses the standardized conv weights computed once in eval mode.</summary>
internal enum WeightCacheMode
{
    /// <summary>The scoring path as users get it: the cache is on.</summary>
    On,
    /// <summary>Weights standardized again in every forward.</summary>
    Off,
    /// <summary>On and off interleaved on one model, reported as two rows.</summary>
    Both,
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
    BenchPrecision Precision,
    WeightCacheMode WeightCache,
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
        };

    /// <summary>CLI names of the precisions.</summary>
    public static readonly IReadOnlyDictionary<string, BenchPrecision> PrecisionNames =
        new Dictionary<string, BenchPrecision>(StringComparer.OrdinalIgnoreCase)
        {
            ["fp32"] = BenchPrecision.Fp32, ["bf16"] = BenchPrecision.Bf16,
        };

    /// <summary>CLI names of the weight-cache settings.</summary>
    public static readonly IReadOnlyDictionary<string, WeightCacheMode> WeightCacheNames =
        new Dictionary<string, WeightCacheMode>(StringComparer.OrdinalIgnoreCase)
        {
            ["on"] = WeightCacheMode.On, ["off"] = WeightCacheMode.Off, ["both"] = WeightCacheMode.Both,
        };

    // The standard figures of the README's table: scoring one image at the evaluation size, a batch at the training size.
    private static readonly (BenchMode Mode, int Batch, int Size)[] StandardFigures =
        [(BenchMode.Infer, 1, 256), (BenchMode.Infer, 8, 192), (BenchMode.Train, 8, 192)];

    /// <summary>The model figures in the order they run: per variant, inference then the training step; one
    /// batch × size when --batch and --size are given, else the standard ones.</summary>
    public IEnumerable<BenchFigure> Figures()
    {
        var shapes = Batch is { } batch && Size is { } size
            ? [(BenchMode.Infer, batch, size), (BenchMode.Train, batch, size)]
            : StandardFigures;
        return from variant in Variants
               from shape in shapes
               where Modes.Contains(shape.Mode)
               select new BenchFigure(variant, shape.Mode, shape.Batch, shape.Size);
    }

    /// <summary>The compute dtype for <see cref="NFNetModel.ComputeType"/> (null = the parameters' float32).</summary>
    public torch.ScalarType? ComputeType => Precision == BenchPrecision.Bf16 ? torch.ScalarType.BFloat16 : null;

    /// <summary>The CLI name of a precision, as the table, the JSON and the RESULT lines print it.</summary>
    public static string NameOf(BenchPrecision precision) => precision == BenchPrecision.Bf16 ? "bf16" : "fp32";

    /// <summary>The CLI name of a mode (infer, train, data).</summary>
    public static string NameOf(BenchMode mode) => mode.ToString().ToLowerInvariant();
}

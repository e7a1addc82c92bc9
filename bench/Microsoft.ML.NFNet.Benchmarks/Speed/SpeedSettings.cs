
namespace Microsoft.ML.NFNet.Benchmarks.Speed;

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
    /// <summary>ML.NET <c>Transform</c> rows/s against batched <c>PredictProbabilities</c> on real images (not by default).</summary>
    Transform,
    /// <summary><c>Model.Load</c> of a saved zip and the first <c>PredictionEngine.Predict</c> in fresh processes (not by default).</summary>
    FirstPrediction,
    /// <summary>bfloat16 vs float32 scoring of the 300 Fashion-MNIST test images: top-1 agreement, max |Δp| (not by default).</summary>
    Agreement,
}

/// <summary>What scores in the inference, transform and first-prediction figures.</summary>
internal enum BenchEngine
{
    /// <summary>TorchSharp (<c>NFNetScoringEngine.TorchSharp</c>).</summary>
    TorchSharp,
    /// <summary>ONNX Runtime on the model exported in memory (<c>NFNetScoringEngine.OnnxRuntime</c>).</summary>
    OnnxRuntime,
}

/// <summary>One model figure: a variant in a mode at a batch size and square input size.</summary>
internal sealed record BenchFigure(string Variant, BenchMode Mode, int Batch, int Size);

/// <summary>The settings of one <c>bench</c> run, as read from the command line.</summary>
internal sealed record SpeedSettings(
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
    string Output,
    BenchEngine Engine = BenchEngine.TorchSharp,
    bool Freeze = true,
    string? ModelPath = null)
{
    /// <summary>CLI names of the modes (the side-by-side tool's: infer, train).</summary>
    public static readonly IReadOnlyDictionary<string, BenchMode> ModeNames =
        new Dictionary<string, BenchMode>(StringComparer.OrdinalIgnoreCase)
        {
            ["infer"] = BenchMode.Infer, ["inference"] = BenchMode.Infer, ["train"] = BenchMode.Train, ["data"] = BenchMode.Data,
            ["onnx"] = BenchMode.Onnx, ["transform"] = BenchMode.Transform, ["first-prediction"] = BenchMode.FirstPrediction,
            ["bf16-agreement"] = BenchMode.Agreement,
        };

    /// <summary>CLI names of the engines.</summary>
    public static readonly IReadOnlyDictionary<string, BenchEngine> EngineNames =
        new Dictionary<string, BenchEngine>(StringComparer.OrdinalIgnoreCase)
        {
            ["torchsharp"] = BenchEngine.TorchSharp, ["onnxruntime"] = BenchEngine.OnnxRuntime, ["ort"] = BenchEngine.OnnxRuntime,
        };

    /// <summary>CLI names of the precisions.</summary>
    public static readonly IReadOnlyDictionary<string, NFNetPrecision> PrecisionNames =
        new Dictionary<string, NFNetPrecision>(StringComparer.OrdinalIgnoreCase)
        {
            ["fp32"] = NFNetPrecision.Float32, ["bf16"] = NFNetPrecision.BFloat16,
        };

    // The standard figures of the README's table: scoring one image at the evaluation size, a batch at the training size.
    private static readonly (BenchMode Mode, int Batch, int Size)[] StandardFigures =
        [(BenchMode.Infer, 1, 256), (BenchMode.Infer, 8, 192), (BenchMode.Onnx, 1, 256), (BenchMode.Onnx, 8, 192), (BenchMode.Train, 8, 192),
         (BenchMode.Transform, 8, 224), (BenchMode.FirstPrediction, 1, 224), (BenchMode.Agreement, 8, 224)];

    /// <summary>The model figures in the order they run: per variant, inference then the training step; one
    /// batch × size when --batch and --size are given, else the standard ones.</summary>
    public IEnumerable<BenchFigure> Figures()
    {
        var shapes = Batch is { } batch && Size is { } size
            ? [(BenchMode.Infer, batch, size), (BenchMode.Onnx, batch, size), (BenchMode.Train, batch, size),
               (BenchMode.Transform, batch, size), (BenchMode.FirstPrediction, batch, size), (BenchMode.Agreement, batch, size)]
            : StandardFigures;
        return from variant in Variants
               from shape in shapes
               where Modes.Contains(shape.Mode)
               select new BenchFigure(variant, shape.Mode, shape.Batch, shape.Size);
    }

    /// <summary>The CLI name of a precision, as the table, the JSON and the RESULT lines print it.</summary>
    public static string NameOf(NFNetPrecision precision) => precision == NFNetPrecision.BFloat16 ? "bf16" : "fp32";

    /// <summary>The CLI name of a mode (infer, train, data, onnx, transform, first-prediction, bf16-agreement).</summary>
    public static string NameOf(BenchMode mode) => mode switch
    {
        BenchMode.FirstPrediction => "first-prediction",
        BenchMode.Agreement => "bf16-agreement",
        _ => mode.ToString().ToLowerInvariant(),
    };

    /// <summary>The CLI name of an engine.</summary>
    public static string NameOf(BenchEngine engine) => engine == BenchEngine.OnnxRuntime ? "onnxruntime" : "torchsharp";
}

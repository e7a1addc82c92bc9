namespace Microsoft.ML.NFNet;

/// <summary>What runs the network when an <see cref="NFNetModelParameters"/> scores images. Training always runs on
/// TorchSharp.</summary>
public enum NFNetScoringEngine
{
    /// <summary>TorchSharp (libtorch), the engine the model was trained with: CPU or CUDA, float32 or bfloat16
    /// (<see cref="NFNetModelParameters.InferencePrecision"/>).</summary>
    TorchSharp,

    /// <summary>ONNX Runtime's CPU provider on the model exported to ONNX in memory (float32, all graph optimizations):
    /// faster than TorchSharp's float32 CPU scoring in our measurements, and it slows down less when other processes
    /// compete for the cores (its thread count follows the load, with one session per count tried: each holds a copy of
    /// the weights, at most three are open). The application must reference the <c>Microsoft.ML.OnnxRuntime</c> package
    /// (the native runtime); this library references only its managed part.</summary>
    OnnxRuntime,
}

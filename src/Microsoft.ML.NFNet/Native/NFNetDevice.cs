namespace Microsoft.ML.NFNet;

/// <summary>Where to train and score.</summary>
public enum NFNetDevice
{
    /// <summary>CUDA when the CUDA backend is referenced and a GPU is available, else CPU.</summary>
    Auto,
    /// <summary>CPU.</summary>
    Cpu,
    /// <summary>CUDA GPU 0; an error when no GPU or no CUDA backend is available.</summary>
    Cuda,
}

namespace Microsoft.ML.NFNet;

/// <summary>The number format of activations and convolutions. Parameters, optimizer state and logits stay float32.</summary>
public enum NFNetPrecision
{
    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>Activations and convolutions in bfloat16 with float32 master weights: faster on GPUs and on CPUs with
    /// bfloat16 instructions, with results close to float32.</summary>
    BFloat16,
}

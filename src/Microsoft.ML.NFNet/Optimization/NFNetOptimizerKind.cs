namespace Microsoft.ML.NFNet;

/// <summary>The optimizer that updates an NFNet's parameters (after AGC).</summary>
public enum NFNetOptimizerKind
{
    /// <summary>SGD with (Nesterov) momentum and coupled weight decay, the NFNet recipe (<see cref="InPlaceSgd"/>).</summary>
    Sgd,

    /// <summary>AdamW (TorchSharp's), with decoupled weight decay. timm's notes suggest a smaller λ (0.001–0.005) for
    /// adaptive optimizers.</summary>
    AdamW,
}

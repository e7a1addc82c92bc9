namespace Microsoft.ML.NFNet;

/// <summary>The channel attention applied at the end of every NF block's residual branch.</summary>
public enum NFNetAttention
{
    /// <summary>No attention module.</summary>
    None,
    /// <summary>Squeeze-and-excite (mean pool, 1×1 conv, ReLU, 1×1 conv, sigmoid), timm's <c>attn_last</c> with <c>fc1</c>/<c>fc2</c>.</summary>
    SqueezeExcite,
    /// <summary>Efficient channel attention (a 1-D conv across channels), timm's <c>eca_nfnet_*</c>.</summary>
    EfficientChannel,
}

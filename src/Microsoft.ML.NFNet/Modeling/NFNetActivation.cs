namespace Microsoft.ML.NFNet;

/// <summary>The nonlinearity of an NFNet. Each has a fixed variance-preserving gain γ (DeepMind's constants, see ActivationGains).</summary>
public enum NFNetActivation
{
    /// <summary>Exact (erf) GELU, as in timm's <c>dm_nfnet_*</c> and <c>nfnet_f*</c> models.</summary>
    Gelu,
    /// <summary>Tanh-approximated GELU, as in DeepMind's JAX reference (<c>jax.nn.gelu</c> default).</summary>
    GeluTanh,
    /// <summary>SiLU (swish), used by timm's light <c>nfnet_l0</c> and <c>eca_nfnet_l*</c> models.</summary>
    Silu,
    /// <summary>ReLU, max(0, x).</summary>
    Relu,
    /// <summary>ReLU capped at 6.</summary>
    Relu6,
    /// <summary>Leaky ReLU with slope 0.01 below 0.</summary>
    LeakyRelu,
    /// <summary>ELU (α = 1).</summary>
    Elu,
    /// <summary>CELU (α = 1).</summary>
    Celu,
    /// <summary>SELU.</summary>
    Selu,
    /// <summary>tanh.</summary>
    Tanh,
    /// <summary>The logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>softplus, log(1 + eˣ).</summary>
    Softplus,
    /// <summary>softsign, x / (1 + |x|).</summary>
    Softsign,
    /// <summary>log(sigmoid(x)).</summary>
    LogSigmoid,
    /// <summary>No nonlinearity (γ = 1).</summary>
    Identity,
}

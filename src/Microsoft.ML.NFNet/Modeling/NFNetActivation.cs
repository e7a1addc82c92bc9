namespace Microsoft.ML.NFNet.Modeling;

/// <summary>The nonlinearity of an NFNet. Each has a fixed variance-preserving gain γ (DeepMind's constants, see ActivationGains).</summary>
public enum NFNetActivation
{
    /// <summary>Exact (erf) GELU, as in timm's <c>dm_nfnet_*</c> and <c>nfnet_f*</c> models.</summary>
    Gelu,
    /// <summary>Tanh-approximated GELU, as in DeepMind's JAX reference (<c>jax.nn.gelu</c> default).</summary>
    GeluTanh,
    /// <summary>SiLU (swish), used by timm's light <c>nfnet_l0</c> and <c>eca_nfnet_l*</c> models.</summary>
    Silu,
    Relu,
    Relu6,
    LeakyRelu,
    Elu,
    Celu,
    Selu,
    Tanh,
    Sigmoid,
    Softplus,
    Softsign,
    LogSigmoid,
    Identity,
}

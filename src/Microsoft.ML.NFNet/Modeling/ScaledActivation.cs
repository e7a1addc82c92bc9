using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>An NFNet nonlinearity, optionally followed by its variance-preserving gain γ (timm's <c>GammaAct</c>).</summary>
internal sealed class ScaledActivation : nn.Module<Tensor, Tensor>
{
    private readonly NFNetActivation activation;
    private readonly double gamma;
    private static readonly Scalar LeakyReluSlope = 0.01.ToScalar();
    private static readonly Scalar SoftplusThreshold = 20.0.ToScalar();

    /// <param name="activation">The nonlinearity.</param>
    /// <param name="applyGamma">True to multiply by γ here; false when γ is folded into the next conv instead.</param>
    public ScaledActivation(NFNetActivation activation, bool applyGamma) : base(nameof(ScaledActivation))
    {
        this.activation = activation;
        gamma = applyGamma ? activation.Gamma() : 1.0;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var y = Apply(activation, x);
        if (gamma == 1.0)
            return y;
        using var gammaScalar = gamma.ToScalar();
        return y.mul_(gammaScalar);
    }

    /// <summary>The plain nonlinearity (never in place on <paramref name="x"/>).</summary>
    internal static Tensor Apply(NFNetActivation activation, Tensor x) => activation switch
    {
        NFNetActivation.Gelu => F.gelu(x),
        NFNetActivation.GeluTanh => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        NFNetActivation.Silu => F.silu(x),
        NFNetActivation.Relu => F.relu(x),
        NFNetActivation.Relu6 => F.relu6(x),
        // What F.leaky_relu, F.elu, F.celu, F.softplus and F.softsign compute, with Scalars that outlive the calls
        // (see TorchScalars): the F overloads make theirs implicitly.
        NFNetActivation.LeakyRelu => x.leaky_relu(LeakyReluSlope),
        NFNetActivation.Elu => x.elu(TorchScalars.OneDouble, TorchScalars.OneDouble, TorchScalars.OneDouble),
        NFNetActivation.Celu => x.celu(TorchScalars.OneDouble),
        NFNetActivation.Selu => F.selu(x),
        NFNetActivation.Tanh => F.tanh(x),
        NFNetActivation.Sigmoid => F.sigmoid(x),
        NFNetActivation.Softplus => ScalarTakingOps.Softplus(x, TorchScalars.OneDouble, SoftplusThreshold),
        NFNetActivation.Softsign => Softsign(x),
        NFNetActivation.LogSigmoid => F.logsigmoid(x),
        NFNetActivation.Identity => x.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    // x / (1 + |x|), the kernels of F.softsign.
    private static Tensor Softsign(Tensor x)
    {
        using var magnitude = x.abs();
        using var denominator = magnitude.add(TorchScalars.One, TorchScalars.One);
        return x.div(denominator);
    }
}

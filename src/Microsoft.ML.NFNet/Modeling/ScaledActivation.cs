using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>An NFNet nonlinearity, optionally followed by its variance-preserving gain γ (timm's <c>GammaAct</c>).</summary>
internal sealed class ScaledActivation : nn.Module<Tensor, Tensor>
{
    private readonly NFNetActivation activation;
    private readonly double gamma;

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
        return gamma == 1.0 ? y : y.mul_(gamma);
    }

    /// <summary>The plain nonlinearity (never in place on <paramref name="x"/>).</summary>
    internal static Tensor Apply(NFNetActivation activation, Tensor x) => activation switch
    {
        NFNetActivation.Gelu => F.gelu(x),
        NFNetActivation.GeluTanh => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        NFNetActivation.Silu => F.silu(x),
        NFNetActivation.Relu => F.relu(x),
        NFNetActivation.Relu6 => F.relu6(x),
        NFNetActivation.LeakyRelu => F.leaky_relu(x, 0.01),
        NFNetActivation.Elu => F.elu(x, 1.0),
        NFNetActivation.Celu => F.celu(x, 1.0),
        NFNetActivation.Selu => F.selu(x),
        NFNetActivation.Tanh => F.tanh(x),
        NFNetActivation.Sigmoid => F.sigmoid(x),
        NFNetActivation.Softplus => F.softplus(x),
        NFNetActivation.Softsign => F.softsign(x),
        NFNetActivation.LogSigmoid => F.logsigmoid(x),
        NFNetActivation.Identity => x.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}

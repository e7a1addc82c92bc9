using static Microsoft.ML.NFNet.OnnxGraphBuilder;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Each <see cref="NFNetActivation"/> as standard ONNX operators (opset 17 has no GELU operator), computing what
/// libtorch computes. The GELU forms are written as the patterns ONNX Runtime's optimizer fuses into its GELU kernels
/// (x / √2 rather than x · (1/√2), x³ as Pow).
/// </summary>
internal static class OnnxActivations
{
    // The constants rounded to float32, as libtorch's float32 kernels use them.
    private const float Sqrt2 = 1.41421356237309504880f;
    private const float SqrtTwoOverPi = 0.79788456080286535588f;
    private const float GeluCubicCoefficient = 0.044715f;

    /// <summary>Appends <paramref name="activation"/> applied to <paramref name="x"/>; returns the result's name.</summary>
    public static string Apply(OnnxGraphBuilder g, NFNetActivation activation, string x, string hint) => activation switch
    {
        // x · ½ · (1 + erf(x / √2))
        NFNetActivation.Gelu => HalfTimes(g, x, g.Node("Erf", hint, [g.Node("Div", hint, [x, g.Scalar(Sqrt2)])]), hint),
        // x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
        NFNetActivation.GeluTanh => HalfTimes(g, x, g.Node("Tanh", hint, [g.Node("Mul", hint, [
            g.Node("Add", hint, [x, g.Node("Mul", hint, [g.Node("Pow", hint, [x, g.Scalar(3f)]), g.Scalar(GeluCubicCoefficient)])]),
            g.Scalar(SqrtTwoOverPi)])]), hint),
        NFNetActivation.Silu => g.Node("Mul", hint, [x, g.Node("Sigmoid", hint, [x])]),
        NFNetActivation.Relu => g.Node("Relu", hint, [x]),
        NFNetActivation.Relu6 => g.Node("Clip", hint, [x, g.Scalar(0f), g.Scalar(6f)]),
        NFNetActivation.LeakyRelu => g.Node("LeakyRelu", hint, [x], Float("alpha", 0.01f)),
        NFNetActivation.Elu => g.Node("Elu", hint, [x], Float("alpha", 1f)),
        NFNetActivation.Celu => g.Node("Celu", hint, [x], Float("alpha", 1f)),
        // ONNX's default α and γ are libtorch's SELU constants in float32.
        NFNetActivation.Selu => g.Node("Selu", hint, [x]),
        NFNetActivation.Tanh => g.Node("Tanh", hint, [x]),
        NFNetActivation.Sigmoid => g.Node("Sigmoid", hint, [x]),
        NFNetActivation.Softplus => g.Node("Softplus", hint, [x]),
        NFNetActivation.Softsign => g.Node("Softsign", hint, [x]),
        // log σ(x) = −softplus(−x), the stable form libtorch uses.
        NFNetActivation.LogSigmoid => g.Node("Neg", hint, [g.Node("Softplus", hint, [g.Node("Neg", hint, [x])])]),
        NFNetActivation.Identity => x,
        _ => throw new NotSupportedException($"ONNX export does not know the activation {activation}."),
    };

    // x · ½ · (1 + t), in the order libtorch evaluates it.
    private static string HalfTimes(OnnxGraphBuilder g, string x, string t, string hint) =>
        g.Node("Mul", hint, [g.Node("Mul", hint, [x, g.Scalar(0.5f)]), g.Node("Add", hint, [t, g.Scalar(1f)])]);
}

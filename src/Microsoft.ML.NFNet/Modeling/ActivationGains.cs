namespace Microsoft.ML.NFNet;

/// <summary>
/// The "magic constants" γ that make γ·f(z) unit-variance for z ~ N(0, 1). The literals are DeepMind's Monte-Carlo
/// estimates (nfnets/base.py, copied verbatim by timm); they are used as-is because pretrained weights were trained with them.
/// </summary>
internal static class ActivationGains
{
    /// <summary>γ of <paramref name="activation"/>.</summary>
    public static double Gamma(this NFNetActivation activation) => activation switch
    {
        NFNetActivation.Gelu or NFNetActivation.GeluTanh => 1.7015043497085571,
        NFNetActivation.Silu => 1.7881293296813965,
        NFNetActivation.Relu => 1.7139588594436646,
        NFNetActivation.Relu6 => 1.7131484746932983,
        NFNetActivation.LeakyRelu => 1.70590341091156,
        NFNetActivation.Elu => 1.2716004848480225,
        NFNetActivation.Celu => 1.270926833152771,
        NFNetActivation.Selu => 1.0008515119552612,
        NFNetActivation.Tanh => 1.5939117670059204,
        NFNetActivation.Sigmoid => 4.803835391998291,
        NFNetActivation.Softplus => 1.9203323125839233,
        NFNetActivation.Softsign => 2.338853120803833,
        NFNetActivation.LogSigmoid => 1.9193484783172607,
        NFNetActivation.Identity => 1.0,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Creates convs, activations and attention modules with the settings a config fixes for the whole network
/// (γ placement, padding, ε, attention type), so blocks, stem and head cannot disagree on them.</summary>
internal sealed class NFLayerFactory(NFNetConfig config, Device? device)
{
    private readonly double convGamma = config.GammaInActivation ? 1.0 : config.Activation.Gamma();

    public ScaledStdConv2d Conv(string name, long inChannels, long outChannels, long kernelSize, long stride = 1, long groups = 1,
        double gainInit = 1.0) =>
        new(name, inChannels, outChannels, kernelSize, stride, groups, convGamma, config.WeightStandardizationEps,
            config.SamePadding, gainInit, device);

    public ScaledActivation Activation() => new(config.Activation, applyGamma: config.GammaInActivation);

    public TorchSharp.torch.nn.Module<Tensor, Tensor>? Attention(string name, long channels) => config.Attention switch
    {
        NFNetAttention.None => null,
        NFNetAttention.SqueezeExcite => new SqueezeExcite(name, channels,
            SqueezeExcite.HiddenChannels(channels, config.AttentionRatio, config.AttentionDivisor), device),
        NFNetAttention.EfficientChannel => new EfficientChannelAttention(name, channels, device),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Attention, "Unknown attention."),
    };
}

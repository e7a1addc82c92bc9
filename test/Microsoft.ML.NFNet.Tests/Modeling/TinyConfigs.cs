namespace Microsoft.ML.NFNet.Tests;

/// <summary>Small architectures that keep tests fast while exercising every code path of the real variants.</summary>
internal static class TinyConfigs
{
    /// <summary>DeepMind layout (γ in activations, SAME padding, skip gains, SE), 4 stages.</summary>
    public static NFNetConfig DeepMind => NFNetConfig.Variant("F0") with
    {
        Name = "tiny-dm",
        Depths = [1, 1, 1, 1],
        Channels = [32, 32, 64, 64],
        StemChannels = [8, 16, 16, 32],
        GroupSize = 16,
        NumFeatures = 96,
        DropRate = 0,
        DropPathRate = 0,
    };

    /// <summary>timm's light layout (γ folded into convs, symmetric padding, ECA, SiLU).</summary>
    public static NFNetConfig Light => NFNetConfig.Variant("eca_nfnet_l0") with
    {
        Name = "tiny-eca",
        Depths = [1, 1, 1, 1],
        Channels = [32, 32, 64, 64],
        StemChannels = [8, 16, 16, 32],
        GroupSize = 8,
        NumFeatures = 96,
        DropRate = 0,
        DropPathRate = 0,
    };
}

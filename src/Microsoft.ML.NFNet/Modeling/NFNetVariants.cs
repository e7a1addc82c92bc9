namespace Microsoft.ML.NFNet;

/// <summary>
/// The published variants, one record each, built from two templates as timm's <c>model_cfgs</c> table does:
/// DeepMind's layout (F0–F7, wide F0+–F7+; sources: nfnets/base.py, experiment_nfnets.py, timm <c>_dm_nfnet_cfg</c>) and
/// timm's own layout (<c>nfnet_f*</c>, <c>nfnet_l0</c>, <c>eca_nfnet_l*</c>; γ folded into convs, symmetric padding).
/// </summary>
internal static class NFNetVariants
{
    private static readonly int[] BaseDepths = [1, 2, 6, 3];
    private static readonly int[] FTrainSizes = [192, 224, 256, 320, 384, 416, 448, 480];
    private static readonly int[] FTestSizes = [256, 320, 352, 416, 512, 544, 576, 608];
    private static readonly double[] FDropRates = [0.2, 0.3, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5];
    private const double DeepMindStochasticDepth = 0.25;

    private static readonly Dictionary<string, NFNetConfig> Table = Build();

    public static IReadOnlyList<string> Names { get; } = Table.Keys.Order(StringComparer.Ordinal).ToArray();

    public static NFNetConfig Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Table.TryGetValue(name.Trim(), out var config))
            return config;
        throw new ArgumentException(
            $"Unknown NFNet variant '{name}'. Known variants: {string.Join(", ", Names)}.", nameof(name));
    }

    private static Dictionary<string, NFNetConfig> Build()
    {
        var table = new Dictionary<string, NFNetConfig>(StringComparer.OrdinalIgnoreCase);
        for (var k = 0; k < 8; k++)
        {
            var depths = BaseDepths.Select(d => d * (k + 1)).ToArray();
            var f = DeepMind($"F{k}", depths, k, [256, 512, 1536, 1536], stemOut: 128);
            table[f.Name] = f;
            table[$"dm_nfnet_f{k}"] = f;
            var wide = DeepMind($"F{k}+", depths, k, [384, 768, 2048, 2048], stemOut: 192);
            table[wide.Name] = wide;
            table[$"nfnet_f{k}"] = Timm($"nfnet_f{k}", depths, FTrainSizes[k], FTestSizes[k], FDropRates[k]) with
            {
                GroupSize = 128, BottleneckRatio = 0.5, NumFeatures = 3072, Activation = NFNetActivation.Gelu,
                Attention = NFNetAttention.SqueezeExcite, AttentionRatio = 0.5, DropPathRate = DeepMindStochasticDepth,
            };
        }
        table["nfnet_l0"] = Light("nfnet_l0", BaseDepths, 224, 288, featureMultiplier: 1.5) with
        {
            Attention = NFNetAttention.SqueezeExcite, AttentionRatio = 0.25,
        };
        (int[] Depths, int Train, int Test, double FeatureMultiplier)[] eca =
            [(BaseDepths, 224, 288, 1.5), ([2, 4, 12, 6], 256, 320, 2), ([3, 6, 18, 9], 320, 384, 2), ([4, 8, 24, 12], 352, 448, 2)];
        for (var i = 0; i < eca.Length; i++)
            table[$"eca_nfnet_l{i}"] = Light($"eca_nfnet_l{i}", eca[i].Depths, eca[i].Train, eca[i].Test, eca[i].FeatureMultiplier) with
            {
                Attention = NFNetAttention.EfficientChannel,
            };
        table["nfnet_tiny"] = Tiny;
        foreach (var config in table.Values)
            config.Validate();
        return table;
    }

    /// <summary>
    /// Not a published variant: timm's light layout (SiLU, ECA, γ folded into convs) scaled down (under 1 M parameters) so
    /// that training from scratch on a few thousand images takes minutes on a laptop CPU. Every channel count is a
    /// multiple of 16 so it runs on libtorch's fast CPU conv kernels (see CpuConvolution).
    /// </summary>
    private static NFNetConfig Tiny => Light("nfnet_tiny", [1, 1, 2, 1], 128, 128, featureMultiplier: 1) with
    {
        Channels = [64, 128, 256, 256],
        StemChannels = [16, 32, 32, 64],
        GroupSize = 32,
        BottleneckRatio = 0.5,
        NumFeatures = 512,
        Attention = NFNetAttention.EfficientChannel,
        DropRate = 0.1,
        DropPathRate = 0.05,
    };

    /// <summary>DeepMind's layout: γ in every activation, TF SAME padding, skip gains, fixed 16-32-64 stem, SE ratio 0.5.</summary>
    private static NFNetConfig DeepMind(string name, int[] depths, int k, int[] channels, int stemOut) => new()
    {
        Name = name,
        Depths = depths,
        Channels = channels,
        StemChannels = [16, 32, 64, stemOut],
        GroupSize = 128,
        BottleneckRatio = 0.5,
        Activation = NFNetActivation.Gelu,
        GammaInActivation = true,
        SamePadding = true,
        SkipInit = true,
        Attention = NFNetAttention.SqueezeExcite,
        AttentionRatio = 0.5,
        NumFeatures = 2 * channels[^1],
        DropRate = FDropRates[k],
        DropPathRate = DeepMindStochasticDepth,
        TrainImageSize = FTrainSizes[k],
        TestImageSize = FTestSizes[k],
    };

    /// <summary>timm's own layout: γ folded into convs, symmetric padding, no skip gains, stem from stem_chs = 128.</summary>
    private static NFNetConfig Timm(string name, int[] depths, int train, int test, double dropRate) => new()
    {
        Name = name,
        Depths = depths,
        Channels = [256, 512, 1536, 1536],
        StemChannels = [16, 32, 64, 128],
        GammaInActivation = false,
        SamePadding = false,
        SkipInit = false,
        DropRate = dropRate,
        DropPathRate = 0.1,
        TrainImageSize = train,
        TestImageSize = test,
    };

    /// <summary>timm's "light" NFNets: SiLU, group size 64, bottleneck 0.25, narrower final conv.</summary>
    private static NFNetConfig Light(string name, int[] depths, int train, int test, double featureMultiplier) =>
        Timm(name, depths, train, test, dropRate: 0.2) with
        {
            GroupSize = 64,
            BottleneckRatio = 0.25,
            Activation = NFNetActivation.Silu,
            NumFeatures = (int)(1536 * featureMultiplier),
        };
}

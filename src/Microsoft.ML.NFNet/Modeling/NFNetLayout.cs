namespace Microsoft.ML.NFNet;

/// <summary>
/// The per-block plan of an NFNet: channels, groups, strides, β from the expected signal variance and stochastic depth
/// rates — the bookkeeping of timm's builder loop in one place.
/// </summary>
internal static class NFNetLayout
{
    /// <summary>Plans every block of <paramref name="config"/> in order.</summary>
    /// <exception cref="ArgumentException">A stage's bottleneck is narrower than the group size.</exception>
    public static IReadOnlyList<NFBlockSpec> Blocks(NFNetConfig config)
    {
        config.Validate();
        var totalBlocks = config.Depths.Sum();
        var blocks = new List<NFBlockSpec>(totalBlocks);
        var inChannels = StemOutChannels(config);
        var expectedVariance = 1.0;
        var globalIndex = 0;
        for (var stage = 0; stage < config.Depths.Count; stage++)
        {
            // The deep stem already has stride 4, so the first stage keeps the resolution.
            var stageStride = stage == 0 ? 1 : 2;
            var (outChannels, mid, groups) = StageWidths(config, stage);
            if (groups == 0)
                throw new ArgumentException(
                    $"Invalid NFNetConfig: stage {stage}'s bottleneck width {mid} is smaller than GroupSize {config.GroupSize}.");
            for (var index = 0; index < config.Depths[stage]; index++)
            {
                // timm: torch.linspace(0, drop_path_rate, total_blocks)
                var dropPath = totalBlocks == 1 ? 0 : config.DropPathRate * globalIndex / (totalBlocks - 1);
                blocks.Add(new NFBlockSpec(stage, index, inChannels, outChannels, mid, groups,
                    index == 0 ? stageStride : 1, 1.0 / Math.Sqrt(expectedVariance), dropPath));
                // The transition block's output variance is reset; every block adds α² to it.
                if (index == 0)
                    expectedVariance = 1.0;
                expectedVariance += config.Alpha * config.Alpha;
                inChannels = outChannels;
                globalIndex++;
            }
        }
        return blocks;
    }

    /// <summary>The output channels, bottleneck width and 3×3 conv groups of every block of <paramref name="stage"/>;
    /// no groups (0) when the bottleneck is narrower than the group size, which no network can be built with.</summary>
    public static (int Out, int Mid, int Groups) StageWidths(NFNetConfig config, int stage)
    {
        var outChannels = OutChannels(config, stage);
        var mid = Channels.MakeDivisible(outChannels * config.BottleneckRatio, config.ChannelDivisor);
        var groups = mid / config.GroupSize;
        if (groups > 0 && config.GroupSize % config.ChannelDivisor == 0)
            mid = config.GroupSize * groups;
        return (outChannels, mid, groups);
    }

    /// <summary>Output channels of the blocks of <paramref name="stage"/>.</summary>
    public static int OutChannels(NFNetConfig config, int stage) =>
        Channels.MakeDivisible(config.Channels[stage] * config.WidthFactor, config.ChannelDivisor);

    /// <summary>Channels leaving the deep stem.</summary>
    public static int StemOutChannels(NFNetConfig config) => config.StemChannels[^1];

    /// <summary>Channels of the pooled features fed to the classifier.</summary>
    public static int NumFeatures(NFNetConfig config) => config.NumFeatures > 0
        ? Channels.MakeDivisible(config.NumFeatures * config.WidthFactor, config.ChannelDivisor)
        : Channels.MakeDivisible(config.Channels[^1] * config.WidthFactor, config.ChannelDivisor);
}

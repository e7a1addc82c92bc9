using System.Globalization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The size of an architecture, computed from its numbers alone (no module, no tensor, not even on the meta device), and
/// the bounds every <see cref="NFNetConfig"/> must respect. <see cref="NFNetConfig.Validate"/> applies them, and every
/// architecture read from data passes through it (our JSON in a model zip or a timm <c>config.json</c>, timm's NfCfg),
/// so a 3 KB file that asks for ten million blocks or a billion channels fails with a clear error before anything is
/// built for it.
/// </summary>
/// <remarks>Each bound is about ten times the largest published NFNet's (nfnet_f7: 4 stages, 96 blocks, 3,072 channels,
/// 500 M parameters): room for custom networks, none for absurd ones.</remarks>
internal static class ArchitectureBounds
{
    /// <summary>Most stages (the network's stride doubles with each).</summary>
    public const int MaxStages = 8;

    /// <summary>Most blocks in all stages together.</summary>
    public const int MaxBlocks = 1_000;

    /// <summary>Most channels of any layer: stem, stage, bottleneck, attention or features.</summary>
    public const int MaxChannels = 32_768;

    /// <summary>Most parameters without the classifier (20 GB in float32).</summary>
    public const long MaxParameters = 5_000_000_000;

    /// <summary>Throws when <paramref name="config"/> (whose fields are otherwise valid) exceeds a bound, naming the
    /// field; checked in an order that keeps every later computation free of overflow.</summary>
    /// <exception cref="ArgumentException">A bound is exceeded.</exception>
    public static void ThrowIfTooLarge(NFNetConfig config)
    {
        Require(config.Depths.Count <= MaxStages, nameof(NFNetConfig.Depths),
            $"{config.Depths.Count:N0} stages; at most {MaxStages} are supported.");
        var blocks = config.Depths.Sum(depth => (long)depth);
        Require(blocks <= MaxBlocks, nameof(NFNetConfig.Depths),
            $"{blocks:N0} blocks in all ({List(config.Depths)}); at most {MaxBlocks:N0} are supported.");
        foreach (var (name, value) in new (string, double)[]
                 {
                     (nameof(NFNetConfig.ChannelDivisor), config.ChannelDivisor),
                     (nameof(NFNetConfig.AttentionDivisor), config.AttentionDivisor),
                     (nameof(NFNetConfig.StemChannels), config.StemChannels.Max()),
                     (nameof(NFNetConfig.Channels), config.Channels.Max() * config.WidthFactor),
                     (nameof(NFNetConfig.NumFeatures), config.NumFeatures * config.WidthFactor),
                 })
            RequireChannels(name, value, name is nameof(NFNetConfig.Channels) or nameof(NFNetConfig.NumFeatures) ? config.WidthFactor : 1);
        for (var stage = 0; stage < config.Depths.Count; stage++)
        {
            var outChannels = NFNetLayout.OutChannels(config, stage);
            RequireChannels(nameof(NFNetConfig.BottleneckRatio), outChannels * config.BottleneckRatio, 1);
            if (config.Attention == NFNetAttention.SqueezeExcite)
                RequireChannels(nameof(NFNetConfig.AttentionRatio), outChannels * config.AttentionRatio, 1);
        }
        var parameters = ParameterCount(config, classCount: 0);
        Require(parameters <= MaxParameters, nameof(NFNetConfig.Depths),
            $"with Depths {List(config.Depths)} and Channels {List(config.Channels)} the network has {parameters:N0} parameters; " +
            $"at most {MaxParameters:N0} are supported.");
    }

    /// <summary>The number of parameters of <c>new NFNetModel(config, classCount)</c> (timm's count for the same
    /// architecture), computed per stage: the blocks after a stage's first are alike.</summary>
    public static long ParameterCount(NFNetConfig config, int classCount)
    {
        var stem = config.StemChannels;
        long total = Conv(3, stem[0], 3) + Conv(stem[0], stem[1], 3) + Conv(stem[1], stem[2], 3) + Conv(stem[2], stem[3], 3);
        long inChannels = stem[^1];
        foreach (var stage in Stages(config))
        {
            var projection = inChannels != stage.Out || stage.Index > 0; // a channel change, or the stride-2 first block
            total += Block(config, stage, inChannels, projection) + (stage.Depth - 1) * Block(config, stage, stage.Out, projection: false);
            inChannels = stage.Out;
        }
        var features = (long)NFNetLayout.NumFeatures(config);
        if (config.NumFeatures > 0)
            total += Conv(inChannels, features, 1);
        return total + (features + 1) * classCount;
    }

    private readonly record struct Stage(int Index, int Depth, long Out, long Mid, long Groups);

    private static IEnumerable<Stage> Stages(NFNetConfig config) => Enumerable.Range(0, config.Depths.Count).Select(s =>
    {
        var (outChannels, mid, groups) = NFNetLayout.StageWidths(config, s);
        return new Stage(s, config.Depths[s], outChannels, mid, Math.Max(1, groups)); // no groups: refused when built
    });

    private static long Block(NFNetConfig config, Stage stage, long inChannels, bool projection)
    {
        var convs = (projection ? Conv(inChannels, stage.Out, 1) : 0) + Conv(inChannels, stage.Mid, 1)
            + Conv(stage.Mid, stage.Mid, 3, stage.Groups) * (config.ExtraConv ? 2 : 1) + Conv(stage.Mid, stage.Out, 1);
        var attention = config.Attention switch
        {
            NFNetAttention.SqueezeExcite => SqueezeExciteParameters(stage.Out, SqueezeExcite.HiddenChannels(stage.Out, config.AttentionRatio, config.AttentionDivisor)),
            NFNetAttention.EfficientChannel => EfficientChannelAttention.KernelSize(stage.Out),
            _ => 0,
        };
        return convs + attention + (config.SkipInit ? 1 : 0);
    }

    // A weight-standardized conv: weight [out, in / groups, k, k], bias [out], gain [out, 1, 1, 1].
    private static long Conv(long inChannels, long outChannels, long kernel, long groups = 1) =>
        outChannels * (inChannels / groups) * kernel * kernel + 2 * outChannels;

    // Two pointwise layers with biases: channels → hidden → channels.
    private static long SqueezeExciteParameters(long channels, long hidden) => 2 * channels * hidden + hidden + channels;

    private static void RequireChannels(string field, double channels, double widthFactor) => Require(channels <= MaxChannels, field,
        string.Create(CultureInfo.InvariantCulture,
            $"it makes a layer of {channels:N0} channels{(widthFactor != 1 ? $" (WidthFactor {widthFactor} included)" : "")}; at most {MaxChannels:N0} are supported."));

    private static void Require(bool condition, string field, string message)
    {
        if (!condition)
            throw new ArgumentException($"Invalid NFNetConfig.{field}: {message}", field);
    }

    private static string List(IReadOnlyList<int> values) =>
        "[" + string.Join(", ", values.Take(8).Select(v => v.ToString("N0", CultureInfo.InvariantCulture))) + (values.Count > 8 ? ", ..." : "") + "]";
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The architecture of an NFNet: everything needed to build the network, nothing about how it is trained.
/// Get a published variant with <see cref="Variant"/>, read timm's <c>NfCfg</c> with <see cref="FromTimmJson"/>, or
/// derive a custom one with a <c>with</c> expression (e.g. <c>NFNetConfig.Variant("F0") with { Depths = [1, 1, 2, 1] }</c>).
/// </summary>
public sealed record NFNetConfig
{
    /// <summary>The variant name (e.g. "F0", "eca_nfnet_l0"), or "custom".</summary>
    public string Name { get; init; } = "custom";

    /// <summary>Number of NF blocks in each stage.</summary>
    public required IReadOnlyList<int> Depths { get; init; }

    /// <summary>Output channels of each stage (before <see cref="WidthFactor"/>).</summary>
    public required IReadOnlyList<int> Channels { get; init; }

    /// <summary>Output channels of the four 3×3 convs of the deep stem (strides 2, 1, 1, 2).</summary>
    public required IReadOnlyList<int> StemChannels { get; init; }

    /// <summary>Channels per group in the grouped 3×3 convs of every block.</summary>
    public int GroupSize { get; init; } = 128;

    /// <summary>Bottleneck width as a fraction of a block's output channels.</summary>
    public double BottleneckRatio { get; init; } = 0.5;

    /// <summary>Whether blocks have the second grouped 3×3 conv (<c>conv2b</c>) that NFNets add to the ResNet bottleneck.</summary>
    public bool ExtraConv { get; init; } = true;

    /// <summary>The nonlinearity.</summary>
    public NFNetActivation Activation { get; init; } = NFNetActivation.Gelu;

    /// <summary>
    /// True: γ multiplies every activation output (DeepMind, timm <c>dm_nfnet_*</c>). False: γ is folded into the scale of
    /// every weight-standardized conv and activations are plain (timm <c>nfnet_*</c>, <c>eca_nfnet_*</c>).
    /// </summary>
    public bool GammaInActivation { get; init; } = true;

    /// <summary>TF "SAME" padding (pad bottom/right for even inputs of stride-2 convs), as DeepMind's reference; else symmetric padding.</summary>
    public bool SamePadding { get; init; } = true;

    /// <summary>ε added to the per-filter variance in weight standardization (timm <c>std_conv_eps</c>).</summary>
    public double WeightStandardizationEps { get; init; } = 1e-5;

    /// <summary>Whether each block has a learnable scalar <c>skipinit_gain</c> (initialized to 0) on its residual branch.</summary>
    public bool SkipInit { get; init; } = true;

    /// <summary>The channel attention after the last conv of every block.</summary>
    public NFNetAttention Attention { get; init; } = NFNetAttention.SqueezeExcite;

    /// <summary>Squeeze-excite hidden width as a fraction of the block's output channels.</summary>
    public double AttentionRatio { get; init; } = 0.5;

    /// <summary>Squeeze-excite hidden width is rounded to a multiple of this.</summary>
    public int AttentionDivisor { get; init; } = 8;

    /// <summary>Gain applied to the attention output (2.0 restores the variance halved by the sigmoid gate).</summary>
    public double AttentionGain { get; init; } = 2.0;

    /// <summary>Residual branch scale α: a block returns <c>branch · α + shortcut</c>.</summary>
    public double Alpha { get; init; } = 0.2;

    /// <summary>Output channels of the final 1×1 conv before pooling (the feature size seen by the classifier).</summary>
    public int NumFeatures { get; init; } = 3072;

    /// <summary>Stage and feature widths are multiplied by this, then rounded to <see cref="ChannelDivisor"/>.</summary>
    public double WidthFactor { get; init; } = 1.0;

    /// <summary>Channel counts are rounded to multiples of this.</summary>
    public int ChannelDivisor { get; init; } = 8;

    /// <summary>Dropout rate before the classifier (training only).</summary>
    public double DropRate { get; init; }

    /// <summary>Stochastic depth: the last block's drop probability; earlier blocks rise linearly from 0 (training only).</summary>
    public double DropPathRate { get; init; }

    /// <summary>The resolution the variant was trained at (a recommendation; any size of at least <see cref="MinimumImageSize"/> works).</summary>
    public int TrainImageSize { get; init; } = 224;

    /// <summary>The resolution the variant was evaluated at.</summary>
    public int TestImageSize { get; init; } = 224;

    /// <summary>The network's total stride: images smaller than this collapse to a single pixel before the head.</summary>
    [JsonIgnore]
    public int MinimumImageSize => 4 * (1 << Math.Max(0, Depths.Count - 1));

    /// <summary>Returns a published variant by name (case-insensitive): "F0"–"F7", "F0+"–"F7+", "dm_nfnet_f0"–"dm_nfnet_f7",
    /// "nfnet_f0"–"nfnet_f7", "nfnet_l0", "eca_nfnet_l0"–"eca_nfnet_l3". See <see cref="KnownVariants"/>.</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    public static NFNetConfig Variant(string name) => NFNetVariants.Get(name);

    /// <summary>All names accepted by <see cref="Variant"/>.</summary>
    public static IReadOnlyList<string> KnownVariants => NFNetVariants.Names;

    /// <summary>
    /// Reads timm's <c>NfCfg</c> serialized as JSON (snake_case fields, as in the <c>nf_cfg</c> object of the reference
    /// fixtures). A document that has an <c>nf_cfg</c> property (a whole fixture sidecar) is accepted too; its
    /// <c>model_kwargs.drop_rate</c> / <c>drop_path_rate</c> are then used.
    /// </summary>
    public static NFNetConfig FromTimmJson(string json) => TimmConfigReader.Read(json);

    /// <summary>Serializes this configuration (our own format, read back by <see cref="FromJson"/>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SerializerOptions);

    /// <summary>Reads a configuration written by <see cref="ToJson"/>, and validates it.</summary>
    public static NFNetConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize<NFNetConfig>(json, SerializerOptions)
            ?? throw new JsonException("The NFNet configuration JSON is null.");
        config.Validate();
        return config;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field, or the field that makes the
    /// network larger than this library builds: at most 8 stages, 1,000 blocks, 32,768 channels in any layer and
    /// 5 billion parameters without the classifier (about ten times nfnet_f7), checked arithmetically before anything
    /// is built, so an architecture read from a file cannot ask for unbounded memory.</summary>
    public void Validate()
    {
        static void Require(bool condition, string field, string message)
        {
            if (!condition) throw new ArgumentException($"Invalid NFNetConfig.{field}: {message}", field);
        }
        Require(Depths is { Count: > 0 } && Depths.All(d => d > 0), nameof(Depths), "needs at least one stage and every depth must be positive.");
        Require(Channels is not null && Channels.Count == Depths.Count, nameof(Channels), $"needs one entry per stage ({Depths.Count}).");
        Require(Channels!.All(c => c > 0), nameof(Channels), "every entry must be positive.");
        Require(StemChannels is { Count: 4 } && StemChannels.All(c => c > 0), nameof(StemChannels), "the deep stem needs four positive channel counts.");
        Require(GroupSize > 0, nameof(GroupSize), "must be positive.");
        Require(BottleneckRatio > 0, nameof(BottleneckRatio), "must be positive.");
        Require(WeightStandardizationEps > 0, nameof(WeightStandardizationEps), "must be positive.");
        Require(AttentionRatio > 0 || Attention != NFNetAttention.SqueezeExcite, nameof(AttentionRatio), "must be positive for squeeze-excite.");
        Require(AttentionDivisor > 0, nameof(AttentionDivisor), "must be positive.");
        Require(Alpha > 0, nameof(Alpha), "must be positive.");
        Require(NumFeatures >= 0, nameof(NumFeatures), "must be 0 (no final conv) or positive.");
        Require(WidthFactor > 0, nameof(WidthFactor), "must be positive.");
        Require(ChannelDivisor > 0, nameof(ChannelDivisor), "must be positive.");
        Require(DropRate is >= 0 and < 1, nameof(DropRate), "must be in [0, 1).");
        Require(DropPathRate is >= 0 and < 1, nameof(DropPathRate), "must be in [0, 1).");
        Require(Enum.IsDefined(Activation), nameof(Activation), $"unknown activation {Activation}.");
        Require(Enum.IsDefined(Attention), nameof(Attention), $"unknown attention {Attention}.");
        ArchitectureBounds.ThrowIfTooLarge(this);
    }

    /// <inheritdoc />
    public bool Equals(NFNetConfig? other) =>
        other is not null
        && Name == other.Name
        && Depths.SequenceEqual(other.Depths) && Channels.SequenceEqual(other.Channels) && StemChannels.SequenceEqual(other.StemChannels)
        && GroupSize == other.GroupSize && BottleneckRatio == other.BottleneckRatio && ExtraConv == other.ExtraConv
        && Activation == other.Activation && GammaInActivation == other.GammaInActivation && SamePadding == other.SamePadding
        && WeightStandardizationEps == other.WeightStandardizationEps && SkipInit == other.SkipInit
        && Attention == other.Attention && AttentionRatio == other.AttentionRatio && AttentionDivisor == other.AttentionDivisor
        && AttentionGain == other.AttentionGain && Alpha == other.Alpha && NumFeatures == other.NumFeatures
        && WidthFactor == other.WidthFactor && ChannelDivisor == other.ChannelDivisor
        && DropRate == other.DropRate && DropPathRate == other.DropPathRate
        && TrainImageSize == other.TrainImageSize && TestImageSize == other.TestImageSize;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Depths.Sum(), Channels.Sum(), NumFeatures, Activation, Attention);

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        static string List(IReadOnlyList<int> values) => "[" + string.Join(", ", values) + "]";
        builder.Append($"Name = {Name}, Depths = {List(Depths)}, Channels = {List(Channels)}, StemChannels = {List(StemChannels)}, ")
            .Append($"GroupSize = {GroupSize}, BottleneckRatio = {BottleneckRatio}, ExtraConv = {ExtraConv}, Activation = {Activation}, ")
            .Append($"GammaInActivation = {GammaInActivation}, SamePadding = {SamePadding}, WeightStandardizationEps = {WeightStandardizationEps}, ")
            .Append($"SkipInit = {SkipInit}, Attention = {Attention}, AttentionRatio = {AttentionRatio}, AttentionDivisor = {AttentionDivisor}, ")
            .Append($"AttentionGain = {AttentionGain}, Alpha = {Alpha}, NumFeatures = {NumFeatures}, WidthFactor = {WidthFactor}, ")
            .Append($"ChannelDivisor = {ChannelDivisor}, DropRate = {DropRate}, DropPathRate = {DropPathRate}, ")
            .Append($"TrainImageSize = {TrainImageSize}, TestImageSize = {TestImageSize}");
        return true;
    }

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };
}

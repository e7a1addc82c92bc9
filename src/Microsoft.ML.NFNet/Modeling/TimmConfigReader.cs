using System.Text.Json;

namespace Microsoft.ML.NFNet;

/// <summary>Reads timm's <c>NfCfg</c> dataclass serialized as JSON (snake_case) into an <see cref="NFNetConfig"/>.</summary>
internal static class TimmConfigReader
{
    public static NFNetConfig Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new JsonException("timm NfCfg JSON must be an object.");

        var cfg = root.TryGetProperty("nf_cfg", out var nested) ? nested : root;
        var kwargs = root.TryGetProperty("model_kwargs", out var k) ? k : default;

        var stemType = String(cfg, "stem_type", "deep_quad");
        if (stemType != "deep_quad")
            throw new NotSupportedException($"timm stem_type '{stemType}' is not supported; NFNets use 'deep_quad'.");
        if (Bool(cfg, "reg", false))
            throw new NotSupportedException("timm NF-RegNet configurations (reg=true) are not supported; only NFNets.");

        var depths = Ints(cfg, "depths");
        var channels = Ints(cfg, "channels");
        var widthFactor = Double(cfg, "width_factor", 1.0);
        var channelDivisor = Int(cfg, "ch_div", 8);
        if (channels.Length == 0)
            throw new JsonException("channels: the list is empty; NfCfg needs one entry per stage.");
        // timm: stem_chs = make_divisible((stem_chs or channels[0]) * width_factor, ch_div), then (c/8, c/4, c/2, c).
        var stemWidth = (cfg.TryGetProperty("stem_chs", out var s) && s.ValueKind == JsonValueKind.Number ? WholeNumber(s, "stem_chs") : channels[0]) * widthFactor;
        if (!(stemWidth is > 0 and <= ArchitectureBounds.MaxChannels) || channelDivisor is < 1 or > ArchitectureBounds.MaxChannels)
            throw new ArgumentException($"stem_chs: (stem_chs or channels[0]) × width_factor = {stemWidth:N0} channels with ch_div " +
                $"{channelDivisor:N0}; the stem needs 1 to {ArchitectureBounds.MaxChannels:N0} channels and ch_div 1 to " +
                $"{ArchitectureBounds.MaxChannels:N0}.", "stem_chs");
        var stemOut = Channels.MakeDivisible(stemWidth, channelDivisor);

        var attnLayer = cfg.TryGetProperty("attn_layer", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        var attnKwargs = cfg.TryGetProperty("attn_kwargs", out var ak) && ak.ValueKind == JsonValueKind.Object ? ak : default;
        var groupSize = cfg.TryGetProperty("group_size", out var g) && g.ValueKind == JsonValueKind.Number ? WholeNumber(g, "group_size") : 0;
        if (groupSize <= 0)
            throw new NotSupportedException("timm NfCfg without group_size (ungrouped convs) is not supported; NFNets use grouped convs.");

        var attention = attnLayer switch
        {
            null or "" => NFNetAttention.None,
            "se" => NFNetAttention.SqueezeExcite,
            "eca" => NFNetAttention.EfficientChannel,
            _ => throw new NotSupportedException($"timm attn_layer '{attnLayer}' is not supported (use 'se' or 'eca')."),
        };
        var hasAttnKwargs = attnKwargs.ValueKind == JsonValueKind.Object;
        var config = new NFNetConfig
        {
            Name = "custom",
            Depths = depths,
            Channels = channels,
            StemChannels = [stemOut / 8, stemOut / 4, stemOut / 2, stemOut],
            Alpha = Double(cfg, "alpha", 0.2),
            GroupSize = groupSize,
            Attention = attention,
            // rd_ratio only means something for SE (timm's SEModule default is 1/16); ECA keeps our default.
            AttentionRatio = attention == NFNetAttention.SqueezeExcite ? (hasAttnKwargs ? Double(attnKwargs, "rd_ratio", 1.0 / 16) : 1.0 / 16) : 0.5,
            AttentionDivisor = hasAttnKwargs ? Int(attnKwargs, "rd_divisor", 8) : 8,
            AttentionGain = Double(cfg, "attn_gain", 2.0),
            WidthFactor = widthFactor,
            BottleneckRatio = Double(cfg, "bottle_ratio", 0.5),
            NumFeatures = Int(cfg, "num_features", 0),
            ChannelDivisor = channelDivisor,
            ExtraConv = Bool(cfg, "extra_conv", false),
            GammaInActivation = Bool(cfg, "gamma_in_act", false),
            SamePadding = Bool(cfg, "same_padding", false),
            WeightStandardizationEps = Double(cfg, "std_conv_eps", 1e-5),
            SkipInit = Bool(cfg, "skipinit", false),
            Activation = ParseActivation(String(cfg, "act_layer", "silu")),
            DropRate = kwargs.ValueKind == JsonValueKind.Object ? Double(kwargs, "drop_rate", 0) : 0,
            DropPathRate = kwargs.ValueKind == JsonValueKind.Object ? Double(kwargs, "drop_path_rate", 0) : 0,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e) when (e.ParamName is { } field && TimmNames.TryGetValue(field, out var timmName))
        {
            throw new ArgumentException($"{timmName}: {e.WithoutParameter()}", e);
        }
        return config;
    }

    // NfCfg's name of each NFNetConfig field that comes from it, so that an error names the field of the file.
    private static readonly Dictionary<string, string> TimmNames = new()
    {
        [nameof(NFNetConfig.Depths)] = "depths", [nameof(NFNetConfig.Channels)] = "channels", [nameof(NFNetConfig.StemChannels)] = "stem_chs",
        [nameof(NFNetConfig.GroupSize)] = "group_size", [nameof(NFNetConfig.BottleneckRatio)] = "bottle_ratio",
        [nameof(NFNetConfig.AttentionRatio)] = "attn_kwargs.rd_ratio", [nameof(NFNetConfig.AttentionDivisor)] = "attn_kwargs.rd_divisor",
        [nameof(NFNetConfig.Alpha)] = "alpha", [nameof(NFNetConfig.NumFeatures)] = "num_features", [nameof(NFNetConfig.WidthFactor)] = "width_factor",
        [nameof(NFNetConfig.ChannelDivisor)] = "ch_div", [nameof(NFNetConfig.WeightStandardizationEps)] = "std_conv_eps",
        [nameof(NFNetConfig.DropRate)] = "drop_rate", [nameof(NFNetConfig.DropPathRate)] = "drop_path_rate",
    };

    private static NFNetActivation ParseActivation(string name) => name switch
    {
        "gelu" => NFNetActivation.Gelu,
        "gelu_tanh" => NFNetActivation.GeluTanh,
        "silu" or "swish" => NFNetActivation.Silu,
        "relu" => NFNetActivation.Relu,
        "relu6" => NFNetActivation.Relu6,
        "leaky_relu" => NFNetActivation.LeakyRelu,
        "elu" => NFNetActivation.Elu,
        "celu" => NFNetActivation.Celu,
        "selu" => NFNetActivation.Selu,
        "tanh" => NFNetActivation.Tanh,
        "sigmoid" => NFNetActivation.Sigmoid,
        "softplus" => NFNetActivation.Softplus,
        "softsign" => NFNetActivation.Softsign,
        "log_sigmoid" => NFNetActivation.LogSigmoid,
        "identity" => NFNetActivation.Identity,
        _ => throw new NotSupportedException($"timm act_layer '{name}' has no NFNet γ constant."),
    };

    private static int[] Ints(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Select(x => WholeNumber(x, name)).ToArray()
            : throw new JsonException($"timm NfCfg JSON lacks the array '{name}'.");

    private static int Int(JsonElement e, string name, int fallback) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? WholeNumber(p, name) : fallback;

    // A count must be a whole number that fits an int: 1e10 or 2.5 is an error that names the field, not a bare FormatException.
    private static int WholeNumber(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new JsonException($"{name}: {value.GetRawText()} is not a whole number up to {int.MaxValue:N0}.");

    private static double Double(JsonElement e, string name, double fallback) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : fallback;

    private static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.GetBoolean() : fallback;

    private static string String(JsonElement e, string name, string fallback) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : fallback;
}

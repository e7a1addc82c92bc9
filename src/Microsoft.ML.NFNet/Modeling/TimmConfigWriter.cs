using System.Text.Json.Nodes;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The reverse of <see cref="TimmConfigReader"/>: an <see cref="NFNetConfig"/> as timm's <c>NfCfg</c> fields (snake_case
/// JSON), so <c>timm.models.nfnet.NormFreeNet(NfCfg(**fields))</c> builds the same network, or
/// <c>timm.create_model(name, **fields)</c> overlays them on any NFNet entry point.
/// </summary>
internal static class TimmConfigWriter
{
    /// <summary>timm's names of the activations it has NFNet γ constants for (<c>_nonlin_gamma</c>).</summary>
    private static readonly Dictionary<NFNetActivation, string> ActivationNames = new()
    {
        [NFNetActivation.Gelu] = "gelu",
        [NFNetActivation.Silu] = "silu",
        [NFNetActivation.Relu] = "relu",
        [NFNetActivation.Relu6] = "relu6",
        [NFNetActivation.LeakyRelu] = "leaky_relu",
        [NFNetActivation.Elu] = "elu",
        [NFNetActivation.Celu] = "celu",
        [NFNetActivation.Selu] = "selu",
        [NFNetActivation.Tanh] = "tanh",
        [NFNetActivation.Sigmoid] = "sigmoid",
        [NFNetActivation.Softplus] = "softplus",
        [NFNetActivation.Softsign] = "softsign",
        [NFNetActivation.LogSigmoid] = "log_sigmoid",
        [NFNetActivation.Identity] = "identity",
    };

    /// <summary>
    /// The <c>NfCfg</c> fields of <paramref name="config"/>, and the stem's channels when <c>NfCfg</c> cannot describe
    /// them (its deep-quad stem is always <c>c/8, c/4, c/2, c</c>; <c>nfnet_tiny</c>'s is 16, 32, 32, 64), else null.
    /// </summary>
    /// <exception cref="NotSupportedException">The activation has no timm counterpart (tanh-GELU).</exception>
    public static (JsonObject Fields, IReadOnlyList<int>? StemChannels) Write(NFNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!ActivationNames.TryGetValue(config.Activation, out var activation))
            throw new NotSupportedException(
                $"timm has no NFNet activation constant for {config.Activation} (its _nonlin_gamma table), so {config.Name} cannot be " +
                "rebuilt in timm. Use NFNetActivation.Gelu (exact GELU; tanh-GELU differs by under 1e-3) and fine-tune briefly.");
        var (stemChs, stemExpressible) = StemChs(config);
        var fields = new JsonObject
        {
            ["depths"] = Array(config.Depths),
            ["channels"] = Array(config.Channels),
            ["alpha"] = config.Alpha,
            ["stem_type"] = "deep_quad",
            ["stem_chs"] = stemChs,
            ["group_size"] = config.GroupSize,
            ["attn_layer"] = config.Attention switch
            {
                NFNetAttention.SqueezeExcite => "se",
                NFNetAttention.EfficientChannel => "eca",
                _ => null,
            },
            ["attn_kwargs"] = config.Attention switch
            {
                NFNetAttention.SqueezeExcite => new JsonObject { ["rd_ratio"] = config.AttentionRatio, ["rd_divisor"] = config.AttentionDivisor },
                NFNetAttention.EfficientChannel => new JsonObject(),
                _ => null,
            },
            ["attn_gain"] = config.AttentionGain,
            ["width_factor"] = config.WidthFactor,
            ["bottle_ratio"] = config.BottleneckRatio,
            ["num_features"] = config.NumFeatures,
            ["ch_div"] = config.ChannelDivisor,
            ["reg"] = false,
            ["extra_conv"] = config.ExtraConv,
            ["gamma_in_act"] = config.GammaInActivation,
            ["same_padding"] = config.SamePadding,
            ["std_conv_eps"] = config.WeightStandardizationEps,
            ["skipinit"] = config.SkipInit,
            ["zero_init_fc"] = false,
            ["act_layer"] = activation,
        };
        return (fields, stemExpressible ? null : config.StemChannels.ToArray());
    }

    // timm: stem_chs = make_divisible((stem_chs or channels[0]) * width_factor, ch_div), then c/8, c/4, c/2, c.
    private static (int StemChs, bool Expressible) StemChs(NFNetConfig config)
    {
        var output = config.StemChannels[^1];
        var chs = (int)Math.Round(output / config.WidthFactor);
        var built = Channels.MakeDivisible(chs * config.WidthFactor, config.ChannelDivisor);
        var expressible = built == output
            && config.StemChannels.SequenceEqual(new[] { output / 8, output / 4, output / 2, output });
        return (chs, expressible);
    }

    private static JsonArray Array(IReadOnlyList<int> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}

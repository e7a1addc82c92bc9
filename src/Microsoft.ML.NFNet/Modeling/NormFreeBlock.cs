using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The NFNet bottleneck block (timm <c>NormFreeBlock</c>, DeepMind <c>NFBlock</c>), pre-activation:
/// <code>
/// out = act(x) · β
/// shortcut = x, or downsample(out) in transition blocks
/// out = conv3(act(conv2b(act(conv2(act(conv1(out)))))))
/// out = attention_gain · attention(out);  out = drop_path(out) · skipinit_gain
/// return out · α + shortcut
/// </code>
/// </summary>
internal sealed class NormFreeBlock : nn.Module<Tensor, Tensor>
{
    // Fields in timm's registration order so state_dict order matches too.
    private readonly DownsampleAvg? downsample;
    private readonly ScaledActivation act1;
    private readonly ScaledStdConv2d conv1;
    private readonly ScaledActivation act2;
    private readonly ScaledStdConv2d conv2;
    private readonly ScaledActivation? act2b;
    private readonly ScaledStdConv2d? conv2b;
    private readonly ScaledActivation act3;
    private readonly ScaledStdConv2d conv3;
    [ComponentName(Name = "attn_last")]
    private readonly nn.Module<Tensor, Tensor>? attnLast;
    [ComponentName(Name = "drop_path")]
    private readonly DropPath? dropPath;
    [ComponentName(Name = "skipinit_gain")]
    private readonly Parameter? skipinitGain;

    private readonly double alpha;
    private readonly double beta;
    private readonly double attentionGain;

    /// <summary>Builds the block described by <paramref name="spec"/> with the shared settings of <paramref name="config"/>.</summary>
    public NormFreeBlock(string name, NFBlockSpec spec, NFNetConfig config, Device? device = null) : base(name)
    {
        Spec = spec;
        alpha = config.Alpha;
        beta = spec.Beta;
        attentionGain = config.AttentionGain;
        var layers = new NFLayerFactory(config, device);

        if (spec.HasProjection)
            downsample = new DownsampleAvg("downsample", layers.Conv("conv", spec.InChannels, spec.OutChannels, 1), pool: spec.Stride > 1);
        act1 = layers.Activation();
        conv1 = layers.Conv(nameof(conv1), spec.InChannels, spec.MidChannels, 1);
        act2 = layers.Activation();
        conv2 = layers.Conv(nameof(conv2), spec.MidChannels, spec.MidChannels, 3, spec.Stride, spec.Groups);
        if (config.ExtraConv)
        {
            act2b = layers.Activation();
            conv2b = layers.Conv(nameof(conv2b), spec.MidChannels, spec.MidChannels, 3, 1, spec.Groups);
        }
        act3 = layers.Activation();
        // Without skip gains, the last conv's gain starts at 0 so every block starts as the identity (timm).
        conv3 = layers.Conv(nameof(conv3), spec.MidChannels, spec.OutChannels, 1, gainInit: config.SkipInit ? 1.0 : 0.0);
        attnLast = layers.Attention("attn_last", spec.OutChannels);
        if (spec.DropPathRate > 0)
            dropPath = new DropPath("drop_path", spec.DropPathRate);
        if (config.SkipInit)
            skipinitGain = new Parameter(zeros(Array.Empty<long>(), device: device));
        RegisterComponents();
    }

    /// <summary>The plan this block was built from.</summary>
    public NFBlockSpec Spec { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var betaScalar = beta.ToScalar();
        var preActivated = act1.call(x).mul(betaScalar);
        var shortcut = downsample is null ? x : downsample.call(preActivated);

        var branch = conv1.call(preActivated);
        branch = conv2.call(act2.call(branch));
        if (conv2b is not null)
            branch = conv2b.call(act2b!.call(branch));
        branch = conv3.call(act3.call(branch));
        if (attnLast is not null)
        {
            using var attentionGainScalar = attentionGain.ToScalar();
            branch = attnLast.call(branch).mul(attentionGainScalar);
        }
        if (dropPath is not null)
            branch = dropPath.call(branch);
        if (skipinitGain is not null)
            branch = branch * skipinitGain;
        using var alphaScalar = alpha.ToScalar();
        return branch.mul(alphaScalar).Plus(shortcut).MoveToOuterDisposeScope();
    }
}

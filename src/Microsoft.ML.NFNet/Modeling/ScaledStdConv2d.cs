using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Scaled weight-standardized 2-D convolution (timm's <c>ScaledStdConv2d</c>/<c>ScaledStdConv2dSame</c>):
/// Ŵ[o] = (W[o] − mean(W[o])) / sqrt(var(W[o]) + ε) · gain[o] · γ / sqrt(fan_in), with the biased variance over the
/// filter's fan-in. Parameters (<c>weight</c>, <c>bias</c>, <c>gain</c> of shape [O,1,1,1]) carry timm's names.
/// </summary>
/// <remarks>Ŵ is recomputed on every forward pass, so the module never holds a stale copy of its parameters, unless
/// the model is frozen for scoring (<see cref="Freeze"/>): then eval-mode passes use Ŵ computed once.</remarks>
internal sealed class ScaledStdConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter gain;

    private readonly long outChannels;
    private readonly long kernelSize;
    private readonly long stride;
    private readonly long groups;
    private readonly double scale;
    private readonly double eps;
    private readonly bool dynamicSamePadding;
    private readonly long staticPadding;
    // Ŵ computed once for scoring, in the dtype eval-mode passes compute in; null unless frozen.
    private Tensor? frozenWeight;

    /// <param name="name">Module name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Square kernel size.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="groups">Groups of the grouped convolution.</param>
    /// <param name="gamma">Activation gain folded into the weight scale (1 when γ is applied in the activations).</param>
    /// <param name="eps">ε added to the filter variance.</param>
    /// <param name="samePadding">TF "SAME" padding; otherwise symmetric padding ((stride − 1) + (k − 1)) / 2.</param>
    /// <param name="gainInit">Initial value of <c>gain</c>.</param>
    /// <param name="device">Where to create the parameters (the meta device builds shapes without memory).</param>
    public ScaledStdConv2d(string name, long inChannels, long outChannels, long kernelSize, long stride = 1, long groups = 1,
        double gamma = 1.0, double eps = 1e-5, bool samePadding = false, double gainInit = 1.0, Device? device = null) : base(name)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: channels {inChannels}->{outChannels} are not divisible by {groups} groups.");
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.groups = groups;
        this.eps = eps;
        var fanIn = inChannels / groups * kernelSize * kernelSize;
        scale = gamma / Math.Sqrt(fanIn);
        // Stride-1 SAME padding of an odd kernel is symmetric, so only strided SAME convs need input-dependent padding.
        dynamicSamePadding = samePadding && stride > 1;
        staticPadding = dynamicSamePadding ? 0 : ((stride - 1) + (kernelSize - 1)) / 2;

        // timm init: kaiming_normal_(fan_in, 'linear') = N(0, 1/fan_in); bias 0; gain = gainInit.
        using var std = (1.0 / Math.Sqrt(fanIn)).ToScalar();
        using var gainInitScalar = gainInit.ToScalar();
        weight = new Parameter(randn(outChannels, inChannels / groups, kernelSize, kernelSize, device: device).mul_(std));
        bias = new Parameter(zeros(outChannels, device: device));
        gain = new Parameter(full(new long[] { outChannels, 1, 1, 1 }, gainInitScalar, device: device));
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public long InChannels => weight.shape[1] * groups;

    /// <summary>Output channels.</summary>
    public long OutChannels => outChannels;

    /// <summary>Square kernel size.</summary>
    public long KernelSize => kernelSize;

    /// <summary>Stride.</summary>
    public long Stride => stride;

    /// <summary>Groups.</summary>
    public long Groups => groups;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = dynamicSamePadding ? PadSame(input) : input;
        // Mixed precision: parameters stay float32 (master weights); the conv runs in the input's dtype.
        var w = !training && frozenWeight is { } frozen && frozen.dtype == x.dtype
                && frozen.device_type == x.device_type && frozen.device_index == x.device_index
            ? frozen
            : InComputeType(StandardizedWeight(), x.dtype);
        var b = bias.dtype == x.dtype ? bias : bias.to(x.dtype);
        var y = CpuConvolution.Conv2d(x, w, b, stride, staticPadding, groups);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Computes Ŵ from the current parameters (differentiable).</summary>
    public Tensor StandardizedWeight()
    {
        // Same kernel as timm (batch_norm in training mode over [1, O, fan_in]) so results match to the last bits.
        using var scope = NewDisposeScope();
        using var scaleScalar = scale.ToScalar();
        var perChannelScale = gain.mul(scaleScalar).view(-1);
        var standardized = F.batch_norm(weight.reshape(1, outChannels, -1), null, null, perChannelScale, null,
            training: true, momentum: 0.0, eps: eps);
        return standardized.reshape(weight.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Computes Ŵ once (in float32, then cast to <paramref name="computeType"/>) for eval-mode passes in that
    /// dtype, until <see cref="Unfreeze"/>; train-mode passes always standardize afresh.</summary>
    internal void Freeze(ScalarType computeType)
    {
        Unfreeze();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        frozenWeight = InComputeType(StandardizedWeight(), computeType).contiguous().DetachFromDisposeScope();
    }

    /// <summary>Drops the frozen Ŵ (its memory is freed at once).</summary>
    internal void Unfreeze()
    {
        frozenWeight?.Dispose();
        frozenWeight = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Unfreeze();
        base.Dispose(disposing);
    }

    // Standardization always runs in the parameters' dtype (float32) for accuracy; only its result is cast.
    private static Tensor InComputeType(Tensor standardized, ScalarType computeType) =>
        standardized.dtype == computeType ? standardized : standardized.to(computeType);

    /// <summary>TF "SAME": total padding max((⌈i/s⌉ − 1)·s + k − i, 0), the odd pixel on the bottom/right.</summary>
    private Tensor PadSame(Tensor x)
    {
        long Total(long size) => Math.Max((((size + stride - 1) / stride) - 1) * stride + kernelSize - size, 0);
        var padH = Total(x.shape[^2]);
        var padW = Total(x.shape[^1]);
        return padH == 0 && padW == 0 ? x : F.pad(x, [padW / 2, padW - padW / 2, padH / 2, padH - padH / 2]);
    }
}

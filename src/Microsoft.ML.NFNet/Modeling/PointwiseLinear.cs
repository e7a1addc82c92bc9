using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A 1×1 conv applied to pooled channel vectors [B, C]: the <c>fc1</c>/<c>fc2</c> of squeeze-excite. Parameters keep
/// timm's conv shapes ([O, I, 1, 1] weight, [O] bias) so weights load as they are, but the computation is a matrix
/// product, which is exact and avoids libtorch's CPU conv kernels for odd channel counts (see <see cref="CpuConvolution"/>).
/// </summary>
internal sealed class PointwiseLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <param name="name">Module name.</param>
    /// <param name="inFeatures">Input channels.</param>
    /// <param name="outFeatures">Output channels.</param>
    /// <param name="device">Where to create the parameters.</param>
    public PointwiseLinear(string name, long inFeatures, long outFeatures, Device? device = null) : base(name)
    {
        // timm's NFNet init for every conv: kaiming_normal_(fan_in, 'linear') = N(0, 1/fan_in), zero bias.
        using var std = (1.0 / Math.Sqrt(inFeatures)).ToScalar();
        weight = new Parameter(randn(outFeatures, inFeatures, 1, 1, device: device).mul_(std));
        bias = new Parameter(zeros(outFeatures, device: device));
        RegisterComponents();
    }

    /// <summary>[B, in] → [B, out].</summary>
    public override Tensor forward(Tensor x)
    {
        using var flat = weight.flatten(1);
        return F.linear(x, flat, bias);
    }
}

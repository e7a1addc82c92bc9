using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The projection shortcut of a transition block (timm <c>DownsampleAvg</c>): 2×2 average pool when strided (ceil mode,
/// padding excluded from the count, i.e. TF "SAME" pooling), then a 1×1 weight-standardized conv named <c>conv</c>.
/// </summary>
internal sealed class DownsampleAvg : nn.Module<Tensor, Tensor>
{
    private readonly bool pool;
    private readonly ScaledStdConv2d conv;

    internal DownsampleAvg(string name, ScaledStdConv2d conv, bool pool) : base(name)
    {
        this.pool = pool;
        this.conv = conv;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (!pool)
            return conv.call(x);
        using var pooled = F.avg_pool2d(x, [2, 2], [2, 2], ceil_mode: true, count_include_pad: false);
        return conv.call(pooled);
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Efficient channel attention (timm <c>EcaModule</c>, Wang et al. 2020): a 1-D conv without bias across the pooled
/// channel descriptor, kernel size adapted to the channel count, then a sigmoid gate. Parameter: <c>conv.weight</c> [1,1,k].
/// </summary>
internal sealed class EfficientChannelAttention : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly long kernelSize;

    /// <param name="name">Module name.</param>
    /// <param name="channels">Channels of the input.</param>
    /// <param name="device">Where to create the parameters.</param>
    public EfficientChannelAttention(string name, long channels, Device? device = null) : base(name)
    {
        kernelSize = KernelSize(channels);
        // Holds timm's parameter (conv.weight [1, 1, k]); forward computes the conv itself.
        conv = nn.Conv1d(1, 1, kernelSize, bias: false, device: device);
        RegisterComponents();
    }

    /// <summary>k = |log2(C) + 1| / 2 truncated, made odd (rounding up), at least 3.</summary>
    public static long KernelSize(long channels)
    {
        var t = (long)(Math.Abs(Math.Log2(channels) + 1.0) / 2.0);
        return Math.Max(t % 2 == 1 ? t : t + 1, 3);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = x.mean([2, 3]).to(conv.weight.dtype);
        // timm's conv1d over the channel axis, as sliding windows times the kernel: the same sums, and it keeps this
        // one-channel conv away from libtorch's CPU conv kernels (see CpuConvolution).
        var half = (kernelSize - 1) / 2;
        var windows = F.pad(pooled, [half, half]).unfold(1, kernelSize, 1);
        var gate = F.sigmoid(windows.matmul(conv.weight.view(kernelSize)));
        return (x * gate.to(x.dtype).view(x.shape[0], x.shape[1], 1, 1)).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Squeeze-and-excite (timm <c>SEModule</c>): x · sigmoid(fc2(relu(fc1(mean_hw(x))))), with 1×1 convs <c>fc1</c>/<c>fc2</c>.
/// The ReLU is plain (no γ) in both DeepMind's and timm's NFNets.
/// </summary>
internal sealed class SqueezeExcite : nn.Module<Tensor, Tensor>
{
    private readonly PointwiseLinear fc1;
    private readonly PointwiseLinear fc2;

    /// <param name="name">Module name.</param>
    /// <param name="channels">Input and output channels.</param>
    /// <param name="hiddenChannels">Width of the bottleneck between fc1 and fc2.</param>
    /// <param name="device">Where to create the parameters.</param>
    public SqueezeExcite(string name, long channels, long hiddenChannels, Device? device = null) : base(name)
    {
        fc1 = new PointwiseLinear(nameof(fc1), channels, hiddenChannels, device);
        fc2 = new PointwiseLinear(nameof(fc2), hiddenChannels, channels, device);
        RegisterComponents();
    }

    /// <summary>SE hidden width as timm computes it: make_divisible(channels · ratio, divisor, round_limit = 0).</summary>
    public static long HiddenChannels(long channels, double ratio, int divisor) =>
        Channels.MakeDivisible(channels * ratio, divisor, roundLimit: 0.0);

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The tiny gate network runs in float32 even under mixed precision.
        var squeezed = x.mean([2, 3]).to(ScalarType.Float32);
        var gate = F.sigmoid(fc2.call(F.relu(fc1.call(squeezed))));
        return (x * gate.to(x.dtype).view(x.shape[0], x.shape[1], 1, 1)).MoveToOuterDisposeScope();
    }
}

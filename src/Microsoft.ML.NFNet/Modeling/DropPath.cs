using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Stochastic depth on a residual branch (timm <c>DropPath</c>): in training, each example's branch is zeroed with
/// probability <c>rate</c> and the survivors are scaled by 1 / (1 − rate); identity in eval mode.
/// </summary>
internal sealed class DropPath : nn.Module<Tensor, Tensor>
{
    private readonly double rate;

    /// <param name="name">Module name.</param>
    /// <param name="rate">Drop probability in [0, 1).</param>
    public DropPath(string name, double rate) : base(name)
    {
        if (rate is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "Stochastic depth rate must be in [0, 1).");
        this.rate = rate;
    }

    /// <summary>The drop probability.</summary>
    public double Rate => rate;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (!training || rate == 0)
            return x.alias();
        using var scope = NewDisposeScope();
        var keep = 1.0 - rate;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        using var keepScalar = keep.ToScalar();
        var mask = empty(shape, x.dtype, x.device).bernoulli_(keep).div_(keepScalar);
        return (x * mask).MoveToOuterDisposeScope();
    }
}

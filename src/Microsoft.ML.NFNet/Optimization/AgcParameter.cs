using TorchSharp.Modules;

namespace Microsoft.ML.NFNet;

/// <summary>A parameter whose gradient adaptive gradient clipping acts on, and how that gradient splits into units.</summary>
/// <param name="Parameter">The parameter; its gradient is clipped in place.</param>
/// <param name="IsSingleUnit">
/// Whether the whole tensor is one unit whatever its shape (DeepMind's rule for the gain vector of a convolution).
/// Otherwise a tensor of two or more dimensions has one unit per output channel (a slice along dim 0) and a tensor of
/// at most one dimension is one unit.
/// </param>
/// <param name="Name">The parameter's name in its model, for messages.</param>
internal readonly record struct AgcParameter(Parameter Parameter, bool IsSingleUnit = false, string Name = "")
{
    /// <summary>How many units the gradient has.</summary>
    public long Units => IsWholeTensor ? 1 : Parameter.shape[0];

    /// <summary>Whether one norm is taken over the whole tensor.</summary>
    internal bool IsWholeTensor => IsSingleUnit || Parameter.dim() <= 1;
}

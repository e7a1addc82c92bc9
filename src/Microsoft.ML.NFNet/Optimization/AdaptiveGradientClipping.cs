using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Adaptive gradient clipping (AGC, Brock et al. 2021), with the formula of timm's <c>adaptive_clip_grad</c> and
/// DeepMind's <c>SGD_AGC</c>: for every unit i of a parameter W with gradient G,
/// G_i ← G_i · λ·max(‖W_i‖, ε) / max(‖G_i‖, 10⁻⁶) when ‖G_i‖ &gt; λ·max(‖W_i‖, ε), and G_i is left alone otherwise.
/// </summary>
/// <remarks>
/// A unit is one output channel of a tensor with two or more dimensions (the Frobenius norm runs over every dimension
/// but the first) and the whole tensor for biases and scalars. Gradients are clipped in place, and parameters without a
/// gradient are skipped. Call it after the backward pass and before the optimizer step, so that it sees the raw
/// gradient (before weight decay and momentum). The final classifier is normally left out:
/// <see cref="ParametersToClip"/> is that parameter list for an <see cref="NFNetModel"/>.
/// </remarks>
public static class AdaptiveGradientClipping
{
    /// <summary>λ of the NFNet recipe (batch 4096; the paper found smaller values better for larger batches).</summary>
    public const double DefaultClipFactor = 0.01;

    /// <summary>ε: the smallest weight norm used, so that zero-initialized parameters can still move.</summary>
    public const double DefaultEps = 1e-3;

    // Only guards the division; DeepMind: "it technically should be impossible to engage".
    private const double GradientNormFloor = 1e-6;
    private static readonly Scalar GradientNormFloorScalar = GradientNormFloor.ToScalar();
    private static readonly Scalar TwoNorm = 2.0.ToScalar();

    /// <summary>
    /// The parameters of <paramref name="model"/> that the NFNet recipe clips: all but the final classifier's weight and
    /// bias (timm's <c>--clip-mode agc</c>), in registration order. Call it after moving the model to its device and
    /// after <see cref="NFNetModel.ResetClassifier"/>, both of which replace parameters.
    /// </summary>
    public static IReadOnlyList<Parameter> ParametersToClip(NFNetModel model) =>
        AgcClippingSet.Of(model).Select(p => p.Parameter).ToArray();

    /// <summary>Clips the gradients of <paramref name="parameters"/> unit-wise, in place.</summary>
    /// <param name="parameters">Parameters whose gradients to clip (those without a gradient are skipped).</param>
    /// <param name="clipFactor">λ, the largest allowed ratio of gradient norm to weight norm.</param>
    /// <param name="eps">ε, the floor of the weight norm.</param>
    public static void Apply(IEnumerable<Parameter> parameters, double clipFactor = DefaultClipFactor, double eps = DefaultEps)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Apply(parameters.Select(p => new AgcParameter(p)), clipFactor, eps);
    }

    /// <summary>Clips the gradients of <paramref name="parameters"/> in place, with each parameter's own units, and
    /// optionally counts the units seen and clipped.</summary>
    /// <param name="parameters">Parameters whose gradients to clip (those without a gradient are skipped).</param>
    /// <param name="clipFactor">λ, the largest allowed ratio of gradient norm to weight norm.</param>
    /// <param name="eps">ε, the floor of the weight norm.</param>
    /// <param name="statistics">Where to add the counts of units seen and clipped; null to count nothing.</param>
    /// <remarks>
    /// Three passes over each parameter (weight norms, gradient norms, scaling) and a few kernels on the per-unit
    /// norms. Parameters are done one at a time so that the gradient is still in cache when it is scaled (faster on a
    /// CPU than doing the norm arithmetic once for all parameters together). Nothing is read back to the host.
    /// </remarks>
    internal static void Apply(IEnumerable<AgcParameter> parameters, double clipFactor = DefaultClipFactor, double eps = DefaultEps,
        AgcStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ValidateFactors(clipFactor, eps);
        using var _ = no_grad();
        foreach (var parameter in parameters)
        {
            using var scope = NewDisposeScope();
            var grad = parameter.Parameter.grad;
            if (grad is null)
                continue;
            var kept = ClipUnits(parameter.Parameter, grad, parameter.IsWholeTensor, clipFactor, eps);
            statistics?.Add(parameter.Units, kept.sum());
        }
    }

    /// <summary>Throws unless λ &gt; 0 and ε ≥ 0 (both finite).</summary>
    internal static void ValidateFactors(double clipFactor, double eps)
    {
        if (!(clipFactor > 0) || double.IsInfinity(clipFactor))
            throw new ArgumentOutOfRangeException(nameof(clipFactor), clipFactor,
                "The AGC clipping factor λ must be a positive number (the recipe uses 0.01); to turn AGC off, do not apply it.");
        if (!(eps >= 0) || double.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "The AGC weight-norm floor ε must be zero or positive (the recipe uses 1e-3).");
    }

    /// <summary>Clips <paramref name="grad"/> in place and returns, per unit, whether it was left unchanged.</summary>
    private static Tensor ClipUnits(Tensor weight, Tensor grad, bool wholeTensor, double clipFactor, double eps)
    {
        var dims = wholeTensor ? null : Enumerable.Range(1, (int)weight.dim() - 1).Select(d => (long)d).ToArray();
        using var epsScalar = eps.ToScalar();
        using var clipFactorScalar = clipFactor.ToScalar();
        var maxNorm = UnitNorms(weight, dims).clamp_min_(epsScalar).mul_(clipFactorScalar);
        var gradNorm = UnitNorms(grad, dims);
        var kept = gradNorm.lt(maxNorm);
        // Kept units are multiplied by exactly 1, so they stay bit-identical (timm selects them with torch.where).
        var scale = maxNorm.div_(gradNorm.clamp_min_(GradientNormFloorScalar)).masked_fill_(kept, TorchScalars.OneDouble);
        grad.mul_(scale);
        return kept;
    }

    /// <summary>Norms over <paramref name="dims"/>, kept as size-1 dimensions so that they broadcast; null: one norm.</summary>
    private static Tensor UnitNorms(Tensor x, long[]? dims) =>
        ScalarTakingOps.VectorNorm(x, TwoNorm, dims, keepdim: dims is not null);
}

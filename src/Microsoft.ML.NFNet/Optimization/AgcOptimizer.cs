using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Adds adaptive gradient clipping to any managed TorchSharp optimizer (<c>SGD</c>, <c>AdamW</c>,
/// <see cref="InPlaceSgd"/>, ...): <see cref="step"/> clips the configured parameters' gradients, then lets the wrapped
/// optimizer update. Everything else (parameter groups and their learning rates, <c>zero_grad</c>, state) is the wrapped
/// optimizer's, so learning-rate schedulers and checkpoints work as with the optimizer alone.
/// </summary>
/// <remarks>The wrapper owns the wrapped optimizer and disposes it.</remarks>
public sealed class AgcOptimizer : optim.Optimizer
{
    private readonly AgcParameter[] clipped;

    /// <summary>Wraps <paramref name="inner"/>, clipping <paramref name="clipped"/> before each of its steps.</summary>
    /// <param name="inner">The optimizer that updates the parameters.</param>
    /// <param name="clipped">The parameters to clip, e.g. <see cref="AdaptiveGradientClipping.ParametersToClip"/>; usually all
    /// the optimizer's parameters but the classifier's. Each output channel of a tensor is one unit.</param>
    /// <param name="clipFactor">λ.</param>
    /// <param name="eps">ε, the floor of the weight norm.</param>
    public AgcOptimizer(OptimizerHelper inner, IEnumerable<Parameter> clipped,
        double clipFactor = AdaptiveGradientClipping.DefaultClipFactor, double eps = AdaptiveGradientClipping.DefaultEps)
        : this(inner, (clipped ?? throw new ArgumentNullException(nameof(clipped))).Select(p => new AgcParameter(p)), clipFactor, eps)
    {
    }

    /// <summary>Wraps <paramref name="inner"/>, clipping <paramref name="clipped"/> (each with its own units).</summary>
    internal AgcOptimizer(OptimizerHelper inner, IEnumerable<AgcParameter> clipped,
        double clipFactor = AdaptiveGradientClipping.DefaultClipFactor, double eps = AdaptiveGradientClipping.DefaultEps)
        : base(IntPtr.Zero)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(clipped);
        AdaptiveGradientClipping.ValidateFactors(clipFactor, eps);
        Inner = inner;
        this.clipped = clipped.ToArray();
        ClipFactor = clipFactor;
        Eps = eps;
    }

    /// <summary>The optimizer that updates the parameters.</summary>
    public OptimizerHelper Inner { get; }

    /// <summary>The parameters whose gradients are clipped.</summary>
    internal IReadOnlyList<AgcParameter> ClippedParameters => clipped;

    /// <summary>λ.</summary>
    public double ClipFactor { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>Units seen and clipped by every <see cref="ClipGradients"/> since the caller last reset it.</summary>
    internal AgcStatistics Statistics { get; } = new();

    /// <summary>The first half of <see cref="step"/>: clips the gradients in place and counts into <see cref="Statistics"/>.</summary>
    internal void ClipGradients() => AdaptiveGradientClipping.Apply(clipped, ClipFactor, Eps, Statistics);

    /// <summary>Clips the gradients, then updates the parameters with the wrapped optimizer.</summary>
    /// <param name="closure">Re-evaluates the model and returns the loss; it runs before the clipping.</param>
    /// <returns>The closure's loss, or null without a closure.</returns>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using var _ = enable_grad();
            loss = closure();
        }
        ClipGradients();
        Inner.step();
        return loss!;
    }

    /// <inheritdoc />
    public override void zero_grad() => Inner.zero_grad();

    /// <inheritdoc />
    public override IEnumerable<Parameter> parameters() => Inner.parameters();

    /// <inheritdoc />
    public override IEnumerable<optim.ILearningRateController> ParamGroups => Inner.ParamGroups;

    /// <summary>Adds a group to the wrapped optimizer. Its parameters are not clipped: the clipping set is fixed.</summary>
    public override void add_param_group(ParamGroup param_group) => Inner.add_param_group(param_group);

    /// <summary>The wrapped optimizer's state (options of each group, and per-parameter state such as momentum buffers).</summary>
    public StateDictionary state_dict() => Inner.state_dict();

    /// <summary>Restores state returned by <see cref="state_dict()"/> of an optimizer of the same type and parameters.</summary>
    public void load_state_dict(StateDictionary state) => Inner.load_state_dict(state);

    /// <summary>Writes the wrapped optimizer's state (TorchSharp's format, tagged with the optimizer's type).</summary>
    public void save_state_dict(BinaryWriter writer) => Inner.save_state_dict(writer);

    /// <summary>Reads state written by <see cref="save_state_dict(BinaryWriter)"/> from the same optimizer type.</summary>
    public void load_state_dict(BinaryReader reader) => Inner.load_state_dict(reader);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
            Statistics.Dispose();
        }
        base.Dispose(disposing);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Stochastic gradient descent with momentum, Nesterov momentum and coupled (L2) weight decay, with the semantics and
/// the exact floating-point results of PyTorch's and TorchSharp's <c>SGD</c>, computed in place: per parameter
/// d = g + wd·p; buf = d on the first step, then buf = m·buf + (1 − dampening)·d; d = d + m·buf (Nesterov) or buf;
/// p = p − lr·d. It issues five kernels per parameter and allocates nothing after the first step, where TorchSharp's
/// <c>SGD</c> allocates two temporaries per parameter and step.
/// </summary>
/// <remarks>
/// The gradient is the scratch space: after <see cref="step"/> each <c>p.grad</c> holds the update direction d, not the
/// raw gradient. Read gradients before stepping (AGC does). Groups, options and state are TorchSharp's
/// <see cref="SGD.ParamGroup"/>, <see cref="SGD.Options"/> and <see cref="SGD.State"/>. <c>maximize</c> negates the
/// gradient first, as PyTorch does (TorchSharp's <c>SGD</c> differs there when weight decay is on).
/// </remarks>
internal sealed class InPlaceSgd : OptimizerHelper, optim.IMomentum
{
    /// <summary>One group of parameters with the given hyper-parameters.</summary>
    public InPlaceSgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : this([new SGD.ParamGroup(parameters, new SGD.Options())], lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>Parameter groups; options a group leaves unset take the values given here.</summary>
    public InPlaceSgd(IEnumerable<SGD.ParamGroup> groups, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _defaults = new SGD.Options
        {
            LearningRate = lr,
            InitialLearningRate = lr,
            momentum = momentum,
            dampening = dampening,
            weight_decay = weightDecay,
            nesterov = nesterov,
            maximize = false,
        };
        _parameter_groups = [];
        foreach (var group in groups)
            add_param_group(group);
    }

    /// <summary>Momentum of the defaults (groups keep their own).</summary>
    public double Momentum
    {
        get => ((SGD.Options)_defaults).momentum!.Value;
        set => ((SGD.Options)_defaults).momentum = value;
    }

    /// <inheritdoc />
    public override void add_param_group(ParamGroup param_group)
    {
        if (param_group is not SGD.ParamGroup group)
            throw new ArgumentException($"{nameof(InPlaceSgd)} takes {nameof(SGD)}.{nameof(SGD.ParamGroup)} groups.", nameof(param_group));
        var defaults = (SGD.Options)_defaults;
        var options = group.Options ??= new SGD.Options();
        options.LearningRate ??= defaults.LearningRate;
        options.momentum ??= defaults.momentum;
        options.dampening ??= defaults.dampening;
        options.weight_decay ??= defaults.weight_decay;
        options.nesterov ??= defaults.nesterov;
        options.maximize ??= defaults.maximize;
        Validate(options);
        options.InitialLearningRate = options.LearningRate!.Value;

        _parameter_groups.Add(group);
        foreach (var parameter in group.Parameters)
        {
            var state = new SGD.State(parameter);
            state.Initialize(options);
            _state[parameter.Handle] = state;
        }
    }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<SGD.ParamGroup>(Update, closure);

    private void Update(SGD.ParamGroup group)
    {
        var options = group.Options;
        var lr = options.LearningRate!.Value;
        var momentum = options.momentum!.Value;
        var dampening = options.dampening!.Value;
        var weightDecay = options.weight_decay!.Value;
        var nesterov = options.nesterov!.Value;
        var maximize = options.maximize!.Value;

        // Scalars made once per group and alive through every call (see TorchScalars).
        using var weightDecayScalar = weightDecay.ToScalar();
        using var momentumScalar = momentum.ToScalar();
        using var undampened = (1 - dampening).ToScalar();
        using var descent = (-lr).ToScalar();

        // Runs inside _step's no_grad and dispose scope, which also frees the gradient handles.
        foreach (var parameter in group.Parameters)
        {
            var direction = parameter.grad;
            if (direction is null)
                continue;
            if (maximize)
                direction.neg_();
            if (weightDecay != 0)
                direction.add_(parameter, alpha: weightDecayScalar);
            if (momentum != 0)
            {
                var state = (SGD.State)_state[parameter.Handle];
                if (state.momentum_buffer is null)
                    state.momentum_buffer = direction.clone().DetachFromDisposeScope();
                else
                    state.momentum_buffer.mul_(momentumScalar).add_(direction, alpha: undampened);
                if (nesterov)
                    direction.add_(state.momentum_buffer, alpha: momentumScalar);
                else
                    direction = state.momentum_buffer;
            }
            parameter.add_(direction, alpha: descent);
        }
    }

    private static void Validate(SGD.Options options)
    {
        if (!(options.LearningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), options.LearningRate, "The learning rate must be zero or positive.");
        if (!(options.momentum >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), options.momentum, "The momentum must be zero or positive.");
        if (!(options.weight_decay >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), options.weight_decay, "The weight decay must be zero or positive.");
        if (options.nesterov!.Value && (options.momentum <= 0 || options.dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(options), "Nesterov momentum needs a positive momentum and zero dampening.");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, state) in _state)
                ((SGD.State)state).Dispose();
            _state.Clear();
        }
        base.Dispose(disposing);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// TorchSharp's <see cref="AdamW"/> (its groups, options, state and checkpoints) with a step that issues the same
/// kernels with the same values, but passes only Scalars that stay alive through each call. TorchSharp 0.107's own step
/// converts every coefficient implicitly (<c>mul_(beta1)</c>, <c>add_(eps)</c>, ...), which a garbage collection on
/// another thread can free while libtorch reads it (see <see cref="TorchScalars"/>).
/// </summary>
/// <remarks>
/// Per parameter p with gradient g (negated first when maximizing), at step t:
/// p ← p·(1 − lr·wd); m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²;
/// d = √v / √(1 − β₂ᵗ) + ε (with v the running maximum for AMSGrad); p ← p − lr/(1 − β₁ᵗ) · m / d.
/// </remarks>
internal sealed class ScalarSafeAdamW : AdamW
{
    /// <summary>Parameter groups; options a group leaves unset take the values given here.</summary>
    public ScalarSafeAdamW(IEnumerable<ParamGroup> groups, double lr) : base(groups, lr)
    {
    }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(Update, closure);

    private void Update(ParamGroup group)
    {
        var options = group.Options;
        var beta1 = options.beta1!.Value;
        var beta2 = options.beta2!.Value;
        var lr = options.LearningRate!.Value;
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var gradientWeight = (1 - beta1).ToScalar();
        using var squareWeight = (1 - beta2).ToScalar();
        using var decay = (1 - lr * options.weight_decay!.Value).ToScalar();
        using var eps = options.eps!.Value.ToScalar();

        // Runs inside _step's no_grad and dispose scope.
        foreach (var parameter in group.Parameters)
        {
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (options.maximize!.Value)
                grad = -grad;
            var state = (State)_state[parameter.Handle];
            state.step += 1;

            parameter.mul_(decay);
            state.exp_avg.mul_(beta1Scalar).add_(grad, alpha: gradientWeight);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, value: squareWeight);

            var second = state.exp_avg_sq;
            if (options.amsgrad!.Value)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                second = state.max_exp_avg_sq;
            }
            using var secondCorrection = Math.Sqrt(1 - Math.Pow(beta2, state.step)).ToScalar();
            using var stepSize = (-(lr / (1 - Math.Pow(beta1, state.step)))).ToScalar();
            var denominator = second.sqrt().div(secondCorrection).add_(eps, TorchScalars.One);
            parameter.addcdiv_(state.exp_avg, denominator, value: stepSize);
        }
    }
}

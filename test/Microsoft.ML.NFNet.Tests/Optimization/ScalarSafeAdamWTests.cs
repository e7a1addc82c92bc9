using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary><see cref="ScalarSafeAdamW"/> gives bit for bit the parameters and moments of TorchSharp's AdamW (it only
/// changes how long the Scalars live).</summary>
[TestClass]
public class ScalarSafeAdamWTests
{
    [TestMethod]
    [DataRow(1e-2, false, false)]
    [DataRow(0.0, false, false)]
    [DataRow(5e-2, true, false)]
    [DataRow(1e-3, false, true)]
    public void MatchesTorchSharpAdamWBitForBit(double weightDecay, bool amsgrad, bool maximize)
    {
        manual_seed(5);
        var shapes = new long[][] { [16, 8, 3, 3], [16, 1, 1, 1], [16], [] };
        var mine = shapes.Select(s => new Parameter(randn(s))).ToArray();
        var reference = mine.Select(p => new Parameter(p.detach().clone())).ToArray();
        using var safe = new ScalarSafeAdamW(Groups(mine, weightDecay, amsgrad, maximize), 3e-3);
        using var adamW = optim.AdamW(Groups(reference, weightDecay, amsgrad, maximize), 3e-3);

        for (var step = 0; step < 4; step++)
        {
            safe.SetLearningRate(3e-3 / (step + 1));
            adamW.SetLearningRate(3e-3 / (step + 1));
            for (var i = 0; i < mine.Length; i++)
            {
                using var grad = randn(shapes[i]);
                mine[i].grad = grad.clone();
                reference[i].grad = grad.clone();
            }
            safe.step();
            adamW.step();
            for (var i = 0; i < mine.Length; i++)
                TensorAssert.Identical(reference[i], mine[i], $"step {step} parameter {i}");
        }
        var safeStates = safe.state_dict().State.Cast<AdamW.State>().ToList();
        var adamWStates = adamW.state_dict().State.Cast<AdamW.State>().ToList();
        for (var i = 0; i < safeStates.Count; i++)
        {
            Assert.AreEqual(adamWStates[i].step, safeStates[i].step);
            TensorAssert.Identical(adamWStates[i].exp_avg, safeStates[i].exp_avg, $"first moment {i}");
            TensorAssert.Identical(adamWStates[i].exp_avg_sq, safeStates[i].exp_avg_sq, $"second moment {i}");
        }
    }

    // Two groups, the second without weight decay, as the recipe builds them.
    private static AdamW.ParamGroup[] Groups(Parameter[] parameters, double weightDecay, bool amsgrad, bool maximize) =>
    [
        new(parameters.Take(2), new AdamW.Options { weight_decay = weightDecay, amsgrad = amsgrad, maximize = maximize }),
        new(parameters.Skip(2), new AdamW.Options { weight_decay = 0.0, amsgrad = amsgrad, maximize = maximize }),
    ];
}

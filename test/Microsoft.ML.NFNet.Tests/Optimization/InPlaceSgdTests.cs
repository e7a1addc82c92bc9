using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary><see cref="InPlaceSgd"/> gives bit for bit the parameters and momentum buffers of TorchSharp's SGD.</summary>
[TestClass]
public class InPlaceSgdTests
{
    [TestMethod]
    [DataRow(0.9, 0.0, 2e-5, true)]
    [DataRow(0.9, 0.0, 0.0, false)]
    [DataRow(0.8, 0.3, 1e-3, false)]
    [DataRow(0.0, 0.0, 1e-2, false)]
    public void MatchesTorchSharpSgdBitForBit(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        manual_seed(3);
        var shapes = new long[][] { [16, 8, 3, 3], [16, 1, 1, 1], [16], [] };
        var mine = shapes.Select(s => new Parameter(randn(s))).ToArray();
        var reference = mine.Select(p => new Parameter(p.detach().clone())).ToArray();
        // Two groups, the second without weight decay, as the recipe builds them.
        using var fast = new InPlaceSgd(Groups(mine, weightDecay), 0.1, momentum, dampening, nesterov: nesterov);
        using var sgd = optim.SGD(Groups(reference, weightDecay), 0.1, momentum, dampening, nesterov: nesterov);

        for (var step = 0; step < 4; step++)
        {
            fast.SetLearningRate(0.1 / (step + 1));
            sgd.SetLearningRate(0.1 / (step + 1));
            for (var i = 0; i < mine.Length; i++)
            {
                using var grad = randn(shapes[i]);
                mine[i].grad = grad.clone();
                reference[i].grad = grad.clone();
            }
            fast.step();
            sgd.step();
            for (var i = 0; i < mine.Length; i++)
                TensorAssert.Identical(reference[i], mine[i], $"step {step} parameter {i}");
        }
        var fastBuffers = fast.state_dict().State.Cast<SGD.State>().Select(s => s.momentum_buffer).ToList();
        var sgdBuffers = sgd.state_dict().State.Cast<SGD.State>().Select(s => s.momentum_buffer).ToList();
        for (var i = 0; i < fastBuffers.Count; i++)
        {
            if (momentum == 0)
                Assert.IsNull(fastBuffers[i]);
            else
                TensorAssert.Identical(sgdBuffers[i], fastBuffers[i], $"momentum buffer {i}");
        }
    }

    [TestMethod]
    public void SkipsParametersWithoutGradient()
    {
        using var p = new Parameter(ones(3));
        using var sgd = new InPlaceSgd([p], 0.1, 0.9, nesterov: true);

        sgd.step();

        TensorAssert.Identical(ones(3), p, "untouched parameter");
    }

    [TestMethod]
    public void RejectsNesterovWithoutMomentum()
    {
        using var p = new Parameter(ones(3));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InPlaceSgd([p], 0.1, momentum: 0, nesterov: true));
    }

    private static SGD.ParamGroup[] Groups(Parameter[] parameters, double weightDecay) =>
    [
        new(parameters.Take(1).ToArray(), new SGD.Options { weight_decay = weightDecay }),
        new(parameters.Skip(1).ToArray(), new SGD.Options { weight_decay = 0 }),
    ];
}

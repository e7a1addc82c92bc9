using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// The side-by-side protocol of bench/peer/peer_timing.py (timm's side), in one place: random init after seed 0, 1000
/// classes, float32 parameters, the input <c>randn(batch, 3, size, size)</c> from a generator seeded 0 and labels from one
/// seeded 1, 2 intra-op threads and one inter-op thread; the training step with drop rates 0 and SGD at a constant 0.1
/// (momentum 0.9, Nesterov, weight decay 2e-5 on conv and linear weights) after AGC (λ 0.01, ε 1e-3, all but
/// <c>head.fc</c>).
/// </summary>
internal static class AnchorProtocol
{
    public const int Classes = 1000;

    /// <summary>Sets libtorch's thread pools (the inter-op one can only be set before its first use).</summary>
    public static void SetThreads(int intraOp)
    {
        torch.set_num_threads(intraOp);
        try
        {
            torch.set_num_interop_threads(1);
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException)
        {
            // Already started by earlier work in this process; the intra-op threads are what the figures depend on.
        }
    }

    /// <summary>A randomly initialised variant (seed 0); for training with dropout and stochastic depth off.</summary>
    public static NFNetModel CreateModel(string variant, bool forTraining, int classes = Classes)
    {
        var config = NFNetConfig.Variant(variant);
        if (forTraining)
            config = config with { DropRate = 0, DropPathRate = 0 };
        torch.manual_seed(0);
        return new NFNetModel(config, classes);
    }

    /// <summary>The input images: standard normal, from a generator seeded 0 (the same values as PyTorch's).</summary>
    public static Tensor Images(int batch, int size) => randn([batch, 3, size, size], generator: new Generator(0));

    /// <summary>The training labels: uniform over the classes, from a generator seeded 1.</summary>
    public static Tensor Labels(int batch) => randint(0, Classes, [batch], dtype: ScalarType.Int64, generator: new Generator(1));

    /// <summary>The protocol's optimizer: constant learning rate 0.1 (no warm-up, a cosine too long to move).</summary>
    public static NFNetOptimizer CreateOptimizer(NFNetModel model, int batch) => NFNetOptimizer.Create(model,
        new NFNetOptimizerOptions { LearningRate = 0.1, WarmupSteps = 0, Momentum = 0.9, Nesterov = true, WeightDecay = 2e-5,
            ClippingFactor = 0.01, ClippingEps = 1e-3 }, batch, stepsPerEpoch: 1, totalSteps: long.MaxValue / 4);
}

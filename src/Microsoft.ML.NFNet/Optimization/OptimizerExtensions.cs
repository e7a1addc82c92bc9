using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Learning-rate control of TorchSharp optimizers.</summary>
internal static class OptimizerExtensions
{
    /// <summary>Sets the learning rate of every parameter group (call before each step to follow a schedule).</summary>
    public static void SetLearningRate(this optim.Optimizer optimizer, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = learningRate;
    }
}

using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>A tiny NFNet and one fixed batch, for optimizer behaviour that needs real gradients.</summary>
internal sealed class TinyTraining : IDisposable
{
    public TinyTraining(int seed = 11)
    {
        manual_seed(seed);
        Model = new NFNetModel(TinyConfigs.DeepMind, 4);
        Model.train();
        Images = randn(4, 3, 32, 32);
        Labels = tensor(new long[] { 0, 1, 2, 3 });
    }

    public NFNetModel Model { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }

    /// <summary>Forward, mean cross-entropy and backward (gradients must have been zeroed); returns the loss.</summary>
    public float LossAndBackward()
    {
        using var scope = NewDisposeScope();
        var loss = F.cross_entropy(Model.forward(Images), Labels);
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>Copies of every parameter, by name.</summary>
    public Dictionary<string, Tensor> Snapshot() =>
        Model.named_parameters().ToDictionary(np => np.name, np => np.parameter.detach().clone());

    public void Restore(Dictionary<string, Tensor> snapshot)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in Model.named_parameters())
            parameter.copy_(snapshot[name]);
    }

    public void Dispose()
    {
        Model.Dispose();
        Images.Dispose();
        Labels.Dispose();
    }
}

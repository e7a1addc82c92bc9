using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>Loss and accuracy of a model on labeled images, with the scoring preprocessing.</summary>
internal static class ValidationEvaluator
{
    /// <param name="model">The model (evaluated in eval mode, its mode restored afterwards).</param>
    /// <param name="data">The validation images.</param>
    /// <param name="usable">The indices to evaluate (those the data scan could decode).</param>
    /// <param name="batcher">The preprocessing.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="device">Where the model is.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static (double Loss, double Accuracy) Evaluate(NFNetModel model, ImageDataSource data, IReadOnlyList<int> usable,
        ImageBatcher batcher, int batchSize, Device device, CancellationToken cancellationToken)
    {
        if (usable.Count == 0)
            return (double.NaN, double.NaN);
        var wasTraining = model.training;
        model.eval();
        try
        {
            double lossSum = 0;
            long correct = 0;
            using var _ = no_grad();
            foreach (var chunk in usable.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var images = chunk.Select(i => data[i]).ToArray();
                Tensor batch;
                try
                {
                    batch = batcher.CreateEvaluationBatch(images.Select(x => x.Encoded).ToArray());
                }
                catch (InvalidImageException e) when (e.BatchIndex >= 0)
                {
                    throw e.At($"{data.Describe(chunk[e.BatchIndex])} of the validation data",
                        "It could be decoded before training started: was it changed meanwhile?");
                }
                var labels = tensor(images.Select(x => (long)x.Label).ToArray(), device: device);
                var logits = model.call(batch.to(device));
                lossSum += F.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }
            return (lossSum / usable.Count, (double)correct / usable.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Loss and accuracy of the model's head on cached validation features (see <see cref="FeatureCache"/>).</summary>
    public static (double Loss, double Accuracy) Evaluate(NFNetModel model, FeatureCache features, int batchSize,
        CancellationToken cancellationToken)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            double lossSum = 0;
            long correct = 0;
            var count = features.ValidationCount;
            using var _ = no_grad();
            for (long start = 0; start < count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (inputs, target) = features.ValidationBatch(start, Math.Min(batchSize, count - start));
                var logits = model.ForwardHead(inputs);
                lossSum += F.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(target).sum().item<long>();
            }
            return (lossSum / count, (double)correct / count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}

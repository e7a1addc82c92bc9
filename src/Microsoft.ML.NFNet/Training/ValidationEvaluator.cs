using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>Loss and accuracy of a model on labeled images, with the scoring preprocessing.</summary>
internal static class ValidationEvaluator
{
    public static (double Loss, double Accuracy) Evaluate(NFNetModel model, IImageDataSource data, ImageBatcher batcher,
        int batchSize, Device device, bool skipInvalid, ISet<int> skipped, CancellationToken cancellationToken)
    {
        var indices = Enumerable.Range(0, data.Count).Where(i => !skipped.Contains(i)).ToArray();
        if (indices.Length == 0)
            return (double.NaN, double.NaN);
        var wasTraining = model.training;
        model.eval();
        try
        {
            double lossSum = 0;
            long correct = 0;
            using var _ = no_grad();
            long counted = 0;
            foreach (var chunk in indices.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var members = chunk.ToList();
                while (members.Count > 0)
                {
                    using var scope = NewDisposeScope();
                    var images = members.Select(i => data[i]).ToArray();
                    Tensor batch;
                    try
                    {
                        batch = batcher.CreateEvaluationBatch(images.Select(x => x.Encoded).ToArray());
                    }
                    catch (InvalidImageException e) when (e.BatchIndex >= 0)
                    {
                        if (!skipInvalid)
                            throw new InvalidImageException($"Validation {data.Describe(members[e.BatchIndex])}: {e.Message}", e);
                        skipped.Add(members[e.BatchIndex]);
                        members.RemoveAt(e.BatchIndex);
                        continue;
                    }
                    var labels = tensor(images.Select(x => (long)x.Label).ToArray(), device: device);
                    var logits = model.forward(batch.to(device));
                    lossSum += F.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                    correct += logits.argmax(1).eq(labels).sum().item<long>();
                    counted += members.Count;
                    break;
                }
            }
            if (counted == 0)
                return (double.NaN, double.NaN);
            return (lossSum / counted, (double)correct / counted);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}

using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>Loss and accuracy of a model on labeled images, with the scoring preprocessing.</summary>
internal static class ValidationEvaluator
{
    /// <summary>The label of an image left out of validation: cross-entropy ignores it (its default ignore index) and no
    /// prediction equals it.</summary>
    public const long LeftOutLabel = -100;

    /// <param name="model">The model (evaluated in eval mode, its mode restored afterwards).</param>
    /// <param name="data">The validation images.</param>
    /// <param name="usable">The indices to evaluate (those the data scan passed).</param>
    /// <param name="leftOut">Images left out so far; an image that fails to decode here is added (or fails validation).</param>
    /// <param name="batcher">The preprocessing.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="device">Where the model is.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static (double Loss, double Accuracy) Evaluate(NFNetModel model, ImageDataSource data, IReadOnlyList<int> usable,
        LeftOutImages leftOut, ImageBatcher batcher, int batchSize, Device device, CancellationToken cancellationToken)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            double lossSum = 0;
            long correct = 0, evaluated = 0;
            using var _ = no_grad();
            foreach (var chunk in usable.Where(i => !leftOut.Contains(i, isValidation: true)).Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var images = chunk.Select(i => data[i]).ToArray();
                var failures = new InvalidImageException?[chunk.Length];
                var batch = batcher.CreateEvaluationBatch(images.Select(x => x.Encoded).ToArray(), failures);
                var labels = new long[chunk.Length];
                for (var k = 0; k < chunk.Length; k++)
                {
                    if (failures[k] is { } failure)
                        leftOut.Add(failure, data, chunk[k], isValidation: true);
                    labels[k] = failures[k] is null ? images[k].Label : LeftOutLabel;
                }
                var (loss, hits, count) = Score(model.call(batch.to(device)), tensor(labels, device: device));
                (lossSum, correct, evaluated) = (lossSum + loss, correct + hits, evaluated + count);
            }
            return evaluated == 0 ? (double.NaN, double.NaN) : (lossSum / evaluated, (double)correct / evaluated);
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
            long correct = 0, evaluated = 0;
            var rows = features.ValidationCount;
            using var _ = no_grad();
            for (long start = 0; start < rows; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (inputs, target) = features.ValidationBatch(start, Math.Min(batchSize, rows - start));
                var (loss, hits, count) = Score(model.ForwardHead(inputs), target);
                (lossSum, correct, evaluated) = (lossSum + loss, correct + hits, evaluated + count);
            }
            return evaluated == 0 ? (double.NaN, double.NaN) : (lossSum / evaluated, (double)correct / evaluated);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    // Summed loss, correct predictions and images scored, images labelled LeftOutLabel not counted.
    private static (double Loss, long Correct, long Count) Score(Tensor logits, Tensor labels)
    {
        using var zero = 0.ToScalar();
        return (F.cross_entropy(logits, labels, ignore_index: LeftOutLabel, reduction: nn.Reduction.Sum).item<float>(),
            logits.argmax(1).eq(labels).sum().item<long>(),
            labels.ge(zero).sum().item<long>());
    }
}

using System.Threading.Channels;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Prepares the next training batches (decode, augment, mix) on a background thread while the current one trains.
/// The epoch plan holds only images that the data scan decoded, so a failure here means the data changed meanwhile.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private const int Depth = 2;

    private readonly Channel<(int Index, TrainingBatch Batch)> channel = Channel.CreateBounded<(int, TrainingBatch)>(Depth);
    private readonly CancellationTokenSource stop = new();
    private readonly Task producer;

    public BatchPrefetcher(ImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing)
    {
        producer = Task.Run(() => Produce(data, plan, batcher, labelSmoothing, stop.Token));
    }

    /// <summary>The batches in order; rethrows the producer's failure where it happened.</summary>
    public IEnumerable<(int Index, TrainingBatch Batch)> Batches()
    {
        // WaitToReadAsync throws the exception the producer completed the channel with.
        while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (channel.Reader.TryRead(out var item))
                yield return item;
        }
    }

    private void Produce(ImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing, CancellationToken token)
    {
        Exception? failure = null;
        // This thread normalizes and mixes whole batches while the network trains on the other cores.
        using var singleThreaded = PerThreadTorchThreads.SingleThreaded();
        try
        {
            for (var b = 0; b < plan.Batches.Length && !token.IsCancellationRequested; b++)
            {
                var indices = plan.Batches[b];
                var images = indices.Select(i => data[i]).ToArray();
                TrainingBatch batch;
                try
                {
                    batch = batcher.CreateTrainingBatch(images.Select(x => x.Encoded).ToArray(),
                        images.Select(x => x.Label).ToArray(), data.ClassCount, labelSmoothing, plan.BatchRandom(b));
                }
                catch (InvalidImageException e) when (e.BatchIndex >= 0)
                {
                    throw e.At($"{data.Describe(indices[e.BatchIndex])} of the training data",
                        "It could be decoded before training started: was it changed meanwhile?");
                }
                if (!channel.Writer.WriteAsync((b, batch), token).AsTask().Wait(Timeout.Infinite, token))
                    batch.Dispose();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException && token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            failure = e;
        }
        channel.Writer.TryComplete(failure);
    }

    public void Dispose()
    {
        stop.Cancel();
        try
        {
            producer.Wait();
        }
        catch (AggregateException)
        {
        }
        while (channel.Reader.TryRead(out var leftover))
            leftover.Batch.Dispose();
        stop.Dispose();
    }
}

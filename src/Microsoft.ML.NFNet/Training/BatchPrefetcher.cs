using System.Threading.Channels;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Prepares the next training batches (decode, augment, mix) on a background thread while the current one trains.
/// An image that fails to decode here (the check before training reads headers only) fails training, naming it, or
/// with SkipInvalidImages is left out of its batch and of every later one (<see cref="LeftOutImages"/>).
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private const int Depth = 2;

    private readonly Channel<(int Index, TrainingBatch Batch)> channel = Channel.CreateBounded<(int, TrainingBatch)>(Depth);
    private readonly CancellationTokenSource stop = new();
    private readonly Task producer;

    public BatchPrefetcher(ImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing, LeftOutImages leftOut)
    {
        producer = Task.Run(() => Produce(data, plan, batcher, labelSmoothing, leftOut, stop.Token));
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

    private void Produce(ImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing, LeftOutImages leftOut,
        CancellationToken token)
    {
        Exception? failure = null;
        // This thread normalizes and mixes whole batches while the network trains on the other cores.
        using var singleThreaded = PerThreadTorchThreads.SingleThreaded();
        try
        {
            for (var b = 0; b < plan.Batches.Length && !token.IsCancellationRequested; b++)
            {
                if (CreateBatch(data, plan, b, batcher, labelSmoothing, leftOut) is not { } batch)
                    continue; // every image of the batch is left out
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

    // Batch b of the plan without the images left out; an image that fails leaves the batch (or throws, not skipping).
    private static TrainingBatch? CreateBatch(ImageDataSource data, EpochPlan plan, int b, ImageBatcher batcher,
        double labelSmoothing, LeftOutImages leftOut)
    {
        var indices = plan.Batches[b].Where(i => !leftOut.Contains(i, isValidation: false)).ToList();
        while (indices.Count > 0)
        {
            var images = indices.Select(i => data[i]).ToArray();
            try
            {
                return batcher.CreateTrainingBatch(images.Select(x => x.Encoded).ToArray(),
                    images.Select(x => x.Label).ToArray(), data.ClassCount, labelSmoothing, plan.BatchRandom(b));
            }
            catch (InvalidImageException e) when (e.BatchIndex >= 0)
            {
                leftOut.Add(e, data, indices[e.BatchIndex], isValidation: false);
                indices.RemoveAt(e.BatchIndex);
            }
        }
        return null;
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

using System.Threading.Channels;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Prepares the next training batches (decode, augment, mix) on a background thread while the current one trains.
/// Undecodable images either fail with the image's description or, when skipping, are dropped and remembered.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private const int Depth = 2;

    private readonly Channel<(int Index, TrainingBatch Batch)> channel = Channel.CreateBounded<(int, TrainingBatch)>(Depth);
    private readonly CancellationTokenSource stop = new();
    private readonly Task producer;

    public BatchPrefetcher(IImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing,
        bool skipInvalid, ISet<int> skipped)
    {
        producer = Task.Run(() => Produce(data, plan, batcher, labelSmoothing, skipInvalid, skipped, stop.Token));
    }

    /// <summary>The batches in order; rethrows the producer's failure (e.g. an undecodable image) where it happened.</summary>
    public IEnumerable<(int Index, TrainingBatch Batch)> Batches()
    {
        // WaitToReadAsync throws the exception the producer completed the channel with.
        while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (channel.Reader.TryRead(out var item))
                yield return item;
        }
    }

    private void Produce(IImageDataSource data, EpochPlan plan, ImageBatcher batcher, double labelSmoothing,
        bool skipInvalid, ISet<int> skipped, CancellationToken token)
    {
        Exception? failure = null;
        try
        {
            for (var b = 0; b < plan.Batches.Length && !token.IsCancellationRequested; b++)
            {
                var indices = plan.Batches[b].ToList();
                var random = plan.BatchRandom(b);
                while (true)
                {
                    indices.RemoveAll(skipped.Contains);
                    if (indices.Count == 0)
                        break;
                    var images = indices.Select(i => data[i]).ToArray();
                    try
                    {
                        var batch = batcher.CreateTrainingBatch(images.Select(x => x.Encoded).ToArray(),
                            images.Select(x => x.Label).ToArray(), data.ClassCount, labelSmoothing, random);
                        if (!channel.Writer.WriteAsync((b, batch), token).AsTask().Wait(Timeout.Infinite, token))
                            batch.Dispose();
                        break;
                    }
                    catch (InvalidImageException e) when (e.BatchIndex >= 0)
                    {
                        var index = indices[e.BatchIndex];
                        if (!skipInvalid)
                            throw new InvalidImageException(
                                $"{data.Describe(index)}: {e.Message} Fix or remove the image, or enable skipping of invalid images.", e);
                        lock (skipped)
                            skipped.Add(index);
                        random = plan.BatchRandom(b);
                    }
                }
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

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// Bounds the requests that decode and score at once (<see cref="ServingOptions.MaxConcurrentScoring"/>): each holds at
/// most one decoded image, so a burst of large uploads costs at most that many images' memory. The others wait up to
/// <see cref="ServingOptions.ScoringQueueTimeoutSeconds"/> and are then turned away (503).
/// </summary>
public sealed class ScoringGate(ServingOptions options) : IDisposable
{
    /// <summary>What a turned-away request is told to wait, in seconds: a slot frees after one scoring.</summary>
    public const int RetryAfterSeconds = 1;

    private readonly SemaphoreSlim slots = new(options.MaxConcurrentScoring, options.MaxConcurrentScoring);

    /// <summary>Slots free right now.</summary>
    public int Free => slots.CurrentCount;

    /// <summary>Waits for a slot; null when none frees within the queue timeout.</summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancellationToken) =>
        await slots.WaitAsync(TimeSpan.FromSeconds(options.ScoringQueueTimeoutSeconds), cancellationToken) ? new Slot(slots) : null;

    public void Dispose() => slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                slots.Release();
        }
    }
}

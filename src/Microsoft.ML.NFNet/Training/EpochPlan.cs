namespace Microsoft.ML.NFNet;

/// <summary>
/// The deterministic randomness of one epoch, derived from (seed, epoch) alone so that a run resumed at an epoch
/// boundary draws exactly what an uninterrupted run would have drawn.
/// </summary>
internal sealed class EpochPlan
{
    public EpochPlan(int seed, int epoch, IReadOnlyList<int> usableIndices, int batchSize)
    {
        Seed = seed;
        Epoch = epoch;
        var order = usableIndices.ToArray();
        new Random(Mix(seed, epoch, -1)).Shuffle(order);
        Batches = order.Chunk(batchSize).ToArray();
    }

    public int Seed { get; }
    public int Epoch { get; }

    /// <summary>Dataset indices of each batch, in training order (the last batch may be smaller).</summary>
    public int[][] Batches { get; }

    /// <summary>Seed for libtorch's generator (dropout, stochastic depth) during this epoch.</summary>
    public long TorchSeed => Mix(Seed, Epoch, -2);

    /// <summary>The augmentation randomness of one batch.</summary>
    public Random BatchRandom(int batch) => new(Mix(Seed, Epoch, batch));

    // SplitMix64 finalizer: deterministic across processes and .NET versions (HashCode.Combine is randomized per process).
    private static int Mix(int seed, int epoch, int stream)
    {
        var z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL + (ulong)(uint)stream * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}

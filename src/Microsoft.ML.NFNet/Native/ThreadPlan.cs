namespace Microsoft.ML.NFNet;

/// <summary>
/// How one call of repeated work uses the cores: a team of <see cref="Threads"/> libtorch threads on the whole batch
/// (the operators wait for each other at every layer), or, for work that can be cut (<see cref="Split"/>), the batch
/// cut into <see cref="Threads"/> parts that single-threaded workers run side by side without waiting for each other.
/// </summary>
/// <remarks>A team is fastest on free cores; beside busy processes a starved member stalls the team at every layer,
/// while a starved worker only delays its own part: eca_nfnet_l0 scoring batches of 8 beside two busy processes on
/// two cores took 1.4–3.4 s as a team and 0.8–1.0 s as two parts (docs/performance.md, "Under load").</remarks>
internal readonly record struct ThreadPlan(int Threads, bool Split)
{
    /// <summary>The libtorch thread count of the thread that runs the call: the team's size, or one for a split call.</summary>
    public int CallingThreadCount => Split ? 1 : Threads;

    /// <summary>For the log: "2 threads" or "2 parts of one thread each".</summary>
    public override string ToString() => Split ? $"{Threads} parts of one thread each" : $"{Threads} threads";
}

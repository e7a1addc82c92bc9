using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Keeps libtorch's thread count within the CPUs this process may use. libtorch, like PyTorch, starts one OpenMP thread
/// per physical core of the machine and ignores a container's CPU limit (a cgroup quota: <c>docker run --cpus</c>,
/// Kubernetes CPU limits) and the affinity mask (<c>taskset</c>). Threads beyond the limit gain nothing and cost much:
/// the team spins through the quota early in each scheduling period and is stopped for the rest of it, and a member
/// that waits for a CPU stalls the others at the end of every operator. .NET's <see cref="Environment.ProcessorCount"/>
/// counts the quota, the affinity mask and <c>DOTNET_PROCESSOR_COUNT</c>, so libtorch gets at most that many threads.
/// An explicit <c>OMP_NUM_THREADS</c> or <c>MKL_NUM_THREADS</c> (which libtorch reads) wins.
/// </summary>
internal static class CpuLimit
{
    /// <summary>The thread count to use instead of <paramref name="libtorchThreads"/>, or null to keep it.</summary>
    /// <param name="libtorchThreads">libtorch's count.</param>
    /// <param name="usableCpus">The CPUs the process may use (<see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="userSetCount">The user fixed the count (<c>OMP_NUM_THREADS</c> or <c>MKL_NUM_THREADS</c>).</param>
    internal static int? Fit(int libtorchThreads, int usableCpus, bool userSetCount) =>
        !userSetCount && usableCpus >= 1 && libtorchThreads > usableCpus ? usableCpus : null;

    /// <summary>Whether the user fixed libtorch's thread count in the environment.</summary>
    internal static bool UserSetCount() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MKL_NUM_THREADS"));

    /// <summary>Applies <see cref="Fit"/> to libtorch's default, which every thread takes on its first operator, and
    /// to the calling thread's count.</summary>
    internal static void Apply()
    {
        if (Fit(torch.get_num_threads(), Environment.ProcessorCount, UserSetCount()) is { } threads)
            torch.set_num_threads(threads);
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// The CPUs this process may use, which libtorch does not know: like PyTorch, it starts one OpenMP thread per physical
/// core of the machine, whatever a container's CPU limit (a cgroup quota: <c>docker run --cpus</c>, Kubernetes limits)
/// or the affinity mask (<c>taskset</c>). .NET's <see cref="Environment.ProcessorCount"/> counts the quota (rounded up),
/// the mask and <c>DOTNET_PROCESSOR_COUNT</c>. The thread tuner starts with at most <see cref="ThreadsPerCpu"/> threads
/// per CPU and takes more only where they prove faster; the ONNX Runtime engine opens its first session with at most that
/// many.</summary>
internal static class CpuLimit
{
    /// <summary>Threads per usable CPU to start with: on two cores, two threads against a quota of one CPU or of half a
    /// CPU were no slower than one (short calls even finish sooner in a burst on both cores), while teams many times
    /// larger than the quota are reported to collapse (docs/performance.md, "Containers with a CPU limit").</summary>
    public const int ThreadsPerCpu = 2;

    /// <summary>At most <paramref name="usableCpus"/> of <paramref name="threads"/>, and at least one.</summary>
    public static int Within(int threads, int usableCpus) => Math.Max(1, Math.Min(threads, usableCpus));

    /// <summary>At most <see cref="ThreadsPerCpu"/> threads per CPU of <paramref name="usableCpus"/>.</summary>
    public static int Start(int threads, int usableCpus) => Within(threads, ThreadsPerCpu * usableCpus);

    /// <summary><see cref="Start"/> for this process's CPUs, unless the user fixed the count.</summary>
    public static int WithinThisProcess(int threads) => UserSetCount() ? threads : Start(threads, Environment.ProcessorCount);

    /// <summary>Whether the user fixed libtorch's thread count (<c>OMP_NUM_THREADS</c>, or <c>MKL_NUM_THREADS</c>, which
    /// libtorch also reads).</summary>
    public static bool UserSetCount() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MKL_NUM_THREADS"));
}

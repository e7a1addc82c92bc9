using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Runs libtorch's operators single-threaded on the current thread only, for image preprocessing that already runs one
/// image per thread beside the network's own passes. <c>torch.set_num_threads</c> cannot do this: it also changes the
/// process-wide default of every thread that has not run an operator yet. OpenMP's thread count, which libtorch reads
/// before each parallel operator, is per thread; this sets it through the OpenMP runtime libtorch was built with, found
/// among libtorch's own dependencies. Where that runtime is not found (another libtorch build) nothing changes.
/// </summary>
internal static class PerThreadTorchThreads
{
    private static readonly Lazy<(SetNumThreads Set, GetMaxThreads Get)?> OpenMp = new(FindOpenMp);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetNumThreads(int threads);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetMaxThreads();

    /// <summary>Until disposed (on the same thread), libtorch operators called on this thread use one thread.</summary>
    public static Scope SingleThreaded() => Use(1);

    /// <summary>Until disposed (on the same thread), libtorch operators called on this thread use
    /// <paramref name="threads"/> threads.</summary>
    public static Scope Use(int threads)
    {
        if (OpenMp.Value is not { } openMp)
            return default;
        var previous = Current(openMp);
        if (previous == threads)
            return default;
        openMp.Set(threads);
        return new Scope(previous);
    }

    /// <summary>How many threads libtorch operators called on this thread use now (null: the OpenMP runtime was not
    /// found, and nothing here can change it).</summary>
    public static int? CurrentThreads() => OpenMp.Value is { } openMp ? Current(openMp) : null;

    private static int Current((SetNumThreads Set, GetMaxThreads Get) openMp)
    {
        // libtorch initializes a thread's OpenMP count on its first operator there; do that first so it does not
        // overwrite ours later.
        torch.get_num_threads();
        return openMp.Get();
    }

    /// <summary>Restores the thread's previous OpenMP thread count.</summary>
    public readonly struct Scope(int previous) : IDisposable
    {
        public void Dispose()
        {
            if (previous > 0 && OpenMp.Value is { } openMp)
                openMp.Set(previous);
        }
    }

    private static (SetNumThreads, GetMaxThreads)? FindOpenMp()
    {
        TorchRuntime.EnsureAvailable();
        // dlsym on libtorch's handle searches its dependencies too, which is where its OpenMP runtime is.
        foreach (var library in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
        {
            if (!NativeLibrary.TryLoad(library, typeof(PerThreadTorchThreads).Assembly, null, out var handle))
                continue;
            if (NativeLibrary.TryGetExport(handle, "omp_set_num_threads", out var set)
                && NativeLibrary.TryGetExport(handle, "omp_get_max_threads", out var get))
                return (Marshal.GetDelegateForFunctionPointer<SetNumThreads>(set), Marshal.GetDelegateForFunctionPointer<GetMaxThreads>(get));
        }
        return null;
    }
}

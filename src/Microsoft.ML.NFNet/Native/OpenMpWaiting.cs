using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Makes OpenMP settings that an app sets through .NET reach libtorch's OpenMP runtime. On Linux that runtime is GNU
/// libgomp (bundled with libtorch), which reads <c>OMP_WAIT_POLICY</c>, <c>GOMP_SPINCOUNT</c> and the other
/// <c>OMP_*</c> variables once, when it is loaded, from the C library's environment; .NET keeps its own copy of the
/// environment, which libgomp never reads, so <c>Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE")</c>
/// in an app's <c>Main</c> would silently do nothing. This copies such settings to the C library's environment.
/// </summary>
/// <remarks>
/// It runs as this assembly's module initializer, before any of its code: touching any member of TorchSharp's
/// <c>torch</c> class loads libtorch (and libgomp with it), and the library does so in many places, some before
/// <see cref="TorchRuntime.EnsureAvailable"/>. A value in the process's own environment (set before it started) wins.
/// Nothing changes once libgomp is loaded (TorchSharp used before this library) or on other platforms, whose libtorch
/// builds use another OpenMP runtime. The library sets no OpenMP variable of its own: libgomp's defaults (idle threads
/// spin a while) are the fastest on a quiet machine, and on a busy one <see cref="IntraOpThreadTuner"/> chooses fewer
/// threads instead (docs/performance.md, "Under load", has the measurements behind both).
/// </remarks>
internal static class OpenMpWaiting
{
    /// <summary>The variables copied: the standard ones libgomp reads at load, its own spin count, and the thread count
    /// libtorch reads besides <c>OMP_NUM_THREADS</c>.</summary>
    public static readonly string[] Variables =
    [
        "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OMP_DYNAMIC", "OMP_PROC_BIND", "OMP_PLACES",
        "OMP_THREAD_LIMIT", "OMP_DISPLAY_ENV", "GOMP_CPU_AFFINITY", "MKL_NUM_THREADS",
    ];

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Copies the OpenMP variables set through .NET to the C library's environment.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "libgomp reads its settings as libtorch loads, and any use of TorchSharp's torch class loads it: the only place that is surely earlier is the module's initializer. It only copies environment variables.")]
    internal static void ApplyBeforeLibtorchLoads()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            Apply();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or MarshalDirectiveException)
        {
            // An unusual C library: libgomp keeps its defaults, as without this class.
        }
    }

    private static void Apply()
    {
        var main = NativeLibrary.GetMainProgramHandle();
        // dlsym on the main program searches every global library, the C library among them, whatever its file name.
        if (!NativeLibrary.TryGetExport(main, "getenv", out var getEnvAddress)
            || !NativeLibrary.TryGetExport(main, "setenv", out var setEnvAddress))
            return;
        var getEnv = Marshal.GetDelegateForFunctionPointer<GetEnv>(getEnvAddress);
        var setEnv = Marshal.GetDelegateForFunctionPointer<SetEnv>(setEnvAddress);

        foreach (var name in Variables)
        {
            // Set by the app through .NET after it started: make it visible to libgomp (overwrite 0: the C library's
            // own value, from the process's start, stays).
            if (getEnv(name) == IntPtr.Zero && Environment.GetEnvironmentVariable(name) is { Length: > 0 } managed)
                setEnv(name, managed, 0);
        }
    }
}

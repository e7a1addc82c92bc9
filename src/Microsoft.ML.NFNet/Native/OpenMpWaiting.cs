using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.NFNet;

/// <summary>
/// How long libtorch's idle OpenMP threads spin before they sleep, set before its OpenMP runtime loads. On Linux that
/// runtime is GNU libgomp (bundled with libtorch), which reads <c>OMP_WAIT_POLICY</c> and <c>GOMP_SPINCOUNT</c> once,
/// when it is loaded, from the C library's environment. Its default spins up to 300,000 times at every barrier: on a
/// quiet machine that saves a wake-up, but when other processes want the cores a spinning thread holds the core that the
/// thread it waits for needs (8 × slower training beside two busy processes on 2 cores; docs/performance.md, "Under
/// load"). Passive waiting (no spinning) halves the quiet speed; a short spin keeps most of it and behaves under load.
/// </summary>
/// <remarks>
/// A setting of the user always wins: either variable in the process's environment, or set with
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> before the app first uses this library. .NET keeps its own
/// copy of the environment, which libgomp never reads, so such a setting is copied to the C library's environment here.
/// It runs as this assembly's module initializer, before any of its code: touching any member of TorchSharp's
/// <c>torch</c> class loads libtorch (and libgomp with it), and the library does so in many places, some before
/// <see cref="TorchRuntime.EnsureAvailable"/>. Nothing changes once libgomp is loaded (TorchSharp used before this
/// library) or on other platforms, whose libtorch builds use another OpenMP runtime.
/// </remarks>
internal static class OpenMpWaiting
{
    /// <summary>libgomp's spin count for idle threads: how many times a thread polls before it sleeps.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>The standard OpenMP switch between spinning (ACTIVE) and sleeping (PASSIVE) waits.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>Our spin count when the user sets neither variable; libgomp's own default is 300,000.</summary>
    public const int SpinCount = 10_000;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Sets the spin count in the C library's environment unless the user chose a wait policy or spin count.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "libgomp reads the setting as libtorch loads, and any use of TorchSharp's torch class loads it: the only place that is surely earlier is the module's initializer. It only sets an environment variable.")]
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

        foreach (var name in new[] { WaitPolicyVariable, SpinCountVariable })
        {
            // Set by the app through .NET after it started: make it visible to libgomp (overwrite 0: the C library's
            // own value, from the process's start, stays).
            if (getEnv(name) == IntPtr.Zero && Environment.GetEnvironmentVariable(name) is { Length: > 0 } managed)
                setEnv(name, managed, 0);
        }
        if (getEnv(WaitPolicyVariable) == IntPtr.Zero && getEnv(SpinCountVariable) == IntPtr.Zero)
            setEnv(SpinCountVariable, SpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture), 0);
    }
}

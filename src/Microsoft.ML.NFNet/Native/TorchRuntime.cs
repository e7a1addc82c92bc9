using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The one place that deals with loading TorchSharp's native backend. Entry points of the library call
/// <see cref="EnsureAvailable"/> first so that a missing native dependency surfaces as one
/// <see cref="DllNotFoundException"/> whose message says what is missing and how to fix it, instead of a loader trace
/// from deep inside TorchSharp. (How libtorch's OpenMP threads wait is set even earlier, by <see cref="OpenMpWaiting"/>.)
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads the native backend once; throws <see cref="DllNotFoundException"/> (the inner exception has TorchSharp's own trace) if it cannot be loaded.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is { } failure)
            throw new DllNotFoundException(Diagnose(failure), failure);
    }

    private static Exception? Probe()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            DisableNnpack();
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or NotSupportedException or TypeInitializationException
                                       or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return ex;
        }
    }

    // libtorch asks NNPACK before choosing many CPU conv kernels; where NNPACK cannot initialize ("Unsupported hardware",
    // e.g. on AMD EPYC) every such conv logs a warning to stderr (10,000 lines in the sample's run), and TorchSharp has
    // no switch for it. This is torch.backends.nnpack.set_flags(False) through libtorch's C++ API; NNPACK is only ever
    // used for float32 batches of 16 or more that oneDNN does not take, so nothing measurable is lost where it works.
    private static void DisableNnpack()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return;
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Another libtorch build: keep its default.
        }
    }

    [DllImport("libtorch_cpu.so", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu.so", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    /// <summary>Turns a native load failure into a message that says what is missing and how to fix it.</summary>
    internal static string Diagnose(Exception failure)
    {
        var details = string.Join(" | ", Chain(failure).Select(e => e.Message));
        if (details.Contains("GLIBCXX", StringComparison.Ordinal))
            return "TorchSharp's native library needs GLIBCXX_3.4.32 (the C++ runtime of GCC 13 or newer), which this " +
                   "system's libstdc++ lacks (Debian 12 and Ubuntu 22.04 ship an older one). On Debian 12 run " +
                   "'sudo eng/install-prerequisites.sh' from the Microsoft.ML.NFNet repository (it installs Debian 13's " +
                   "libstdc++6 from a low-priority pinned source); on Ubuntu 22.04 install libstdc++6 from the " +
                   "ubuntu-toolchain-r/test PPA; or use an OS with GCC 13's runtime (Ubuntu 24.04, Debian 13, Fedora 39+). " +
                   "Loader message: " + LineContaining(details, "GLIBCXX");
        if (details.Contains("doesn't contain a reference to", StringComparison.Ordinal)
            || details.Contains("is not restored", StringComparison.Ordinal)
            || (failure is DllNotFoundException && details.Contains("LibTorchSharp", StringComparison.Ordinal)))
            return "No TorchSharp native backend was found. Microsoft.ML.NFNet references the managed TorchSharp package " +
                   "only; your application project must reference exactly one backend: TorchSharp-cpu (or " +
                   "libtorch-cpu-linux-x64 on Linux x64), or TorchSharp-cuda-linux / TorchSharp-cuda-windows for GPUs. " +
                   "Loader message: " + FirstLine(details);
        return "TorchSharp's native library could not be loaded: " + FirstLine(details) +
               " See the inner exception for TorchSharp's load trace.";
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            yield return current;
    }

    private static string LineContaining(string text, string marker) =>
        FirstLine(text.Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal)) ?? text);

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? text;
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}

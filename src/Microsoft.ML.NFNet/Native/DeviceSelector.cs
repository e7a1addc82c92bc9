using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Resolves <see cref="NFNetDevice"/> to a TorchSharp device, with a clear error when CUDA is asked for but unusable.</summary>
internal static class DeviceSelector
{
    /// <summary>The device for <paramref name="requested"/>.</summary>
    /// <exception cref="InvalidOperationException">CUDA was requested but cannot be used; the message says why.</exception>
    public static Device Resolve(NFNetDevice requested)
    {
        TorchRuntime.EnsureAvailable();
        return requested switch
        {
            NFNetDevice.Cpu => CPU,
            NFNetDevice.Auto => CudaAvailable() ? CUDA : CPU,
            NFNetDevice.Cuda => CudaAvailable() ? CUDA : throw new InvalidOperationException(
                "Device = Cuda was requested, but CUDA is not available to TorchSharp. The application must reference the CUDA " +
                "backend (TorchSharp-cuda-linux or TorchSharp-cuda-windows 0.107.0, built with -p:TorchBackend=cuda in this " +
                "repository) instead of a CPU one, and the machine needs an NVIDIA GPU with a driver for CUDA 12.8. " +
                "Use Device = Auto to fall back to the CPU."),
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown device."),
        };
    }

    // torch.cuda.is_available() hides load failures (dotnet/TorchSharp#1545) and is false with a CPU backend.
    private static bool CudaAvailable()
    {
        try
        {
            return torch.cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}

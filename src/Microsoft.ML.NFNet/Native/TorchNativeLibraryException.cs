namespace Microsoft.ML.NFNet;

/// <summary>TorchSharp's native library (libtorch and LibTorchSharp) could not be loaded; the message says what is
/// missing and how to fix it, the inner exception has TorchSharp's own trace.</summary>
public sealed class TorchNativeLibraryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchNativeLibraryException(string message, Exception? innerException) : base(message, innerException) { }
}

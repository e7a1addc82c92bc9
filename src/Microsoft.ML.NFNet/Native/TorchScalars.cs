using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Scalars that are alive for the whole of every TorchSharp call they are passed to.
/// </summary>
/// <remarks>
/// A TorchSharp <see cref="Scalar"/> owns a native c10::Scalar and frees it in its finalizer; no dispose scope tracks
/// it. Where TorchSharp makes one implicitly (a number converted at the call, or the alpha of 1 behind
/// <c>tensor + tensor</c> and <c>add_(tensor)</c>), nothing references it once its handle is on the way to libtorch,
/// so a garbage collection started by another thread can finalize it and free the native scalar while libtorch still
/// reads it (a training run on a busy machine failed with "Expected false to be true ... toFloat" in
/// <c>y + bias</c>). So the library passes only these: constants rooted in static fields (never finalized), and
/// computed values wrapped as <c>using var s = value.ToScalar();</c> around the call. Architecture/ScalarLifetimeTests
/// reads the library's IL and fails on any implicit Scalar.
/// </remarks>
internal static class TorchScalars
{
    /// <summary>The integer 1: the alpha TorchSharp's <c>add(Tensor)</c> and <c>add_(Tensor)</c> pass.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The double 1.0.</summary>
    public static readonly Scalar OneDouble = 1.0.ToScalar();

    /// <summary>a + b, as TorchSharp's <c>a + b</c> computes it (alpha 1).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b in place, as TorchSharp's <c>a.add_(b)</c> computes it (alpha 1).</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a += b in place for a scalar b, as TorchSharp's <c>a.add_(b)</c> computes it (alpha 1).</summary>
    public static Tensor PlusInPlace(this Tensor a, Scalar b) => a.add_(b, One);
}

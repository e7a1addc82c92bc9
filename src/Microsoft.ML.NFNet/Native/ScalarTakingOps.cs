using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The TorchSharp operations the library uses whose public overloads make their Scalars implicitly (see
/// <see cref="TorchScalars"/>), called with Scalars the caller keeps alive: <c>linalg.vector_norm</c> (its
/// <c>double ord</c> is converted inside) and <c>softplus</c> (<c>beta</c> and <c>threshold</c>). They are bound to the
/// code behind those overloads in TorchSharp 0.107 — the native vector_norm entry point, the private softplus that
/// takes Scalars — so the kernels, and the results, are exactly TorchSharp's.
/// </summary>
internal static class ScalarTakingOps
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Func<Scalar, IntPtr> HandleOf =
        Bind<Func<Scalar, IntPtr>>(typeof(Scalar).GetProperty("Handle", Internal)?.GetMethod, "Scalar.Handle");

    private static readonly Func<IntPtr, IntPtr, IntPtr, int, bool, IntPtr> NativeVectorNorm =
        Bind<Func<IntPtr, IntPtr, IntPtr, int, bool, IntPtr>>(
            typeof(Scalar).Assembly.GetType("TorchSharp.PInvoke.NativeMethods")?.GetMethod("THSLinalg_vector_norm", Internal),
            "NativeMethods.THSLinalg_vector_norm");

    private static readonly Func<Tensor, Scalar, Scalar, Tensor> SoftplusWithScalars =
        Bind<Func<Tensor, Scalar, Scalar, Tensor>>(typeof(Tensor).GetMethod("softplus1", Internal), "Tensor.softplus1");

    /// <summary><c>linalg.vector_norm(input, ord, dims, keepdim)</c> with a Scalar order.</summary>
    public static Tensor VectorNorm(Tensor input, Scalar ord, long[]? dims = null, bool keepdim = false)
    {
        var pinned = dims is null ? default : GCHandle.Alloc(dims, GCHandleType.Pinned);
        try
        {
            var result = NativeVectorNorm(input.Handle, HandleOf(ord), pinned.IsAllocated ? pinned.AddrOfPinnedObject() : IntPtr.Zero,
                dims?.Length ?? 0, keepdim);
            if (result == IntPtr.Zero)
                CheckForErrors();
            return Tensor.UnsafeCreateTensor(result);
        }
        finally
        {
            if (pinned.IsAllocated)
                pinned.Free();
            GC.KeepAlive(input);
            GC.KeepAlive(ord);
        }
    }

    /// <summary><c>softplus(x, beta, threshold)</c> with Scalar parameters.</summary>
    public static Tensor Softplus(Tensor x, Scalar beta, Scalar threshold)
    {
        var result = SoftplusWithScalars(x, beta, threshold);
        GC.KeepAlive(beta);
        GC.KeepAlive(threshold);
        return result;
    }

    private static T Bind<T>(MethodInfo? method, string name) where T : Delegate =>
        method?.CreateDelegate<T>() ?? throw new InvalidOperationException(
            $"This TorchSharp ({typeof(Scalar).Assembly.GetName().Version}) has no {name}, which Microsoft.ML.NFNet binds to " +
            "(built for TorchSharp 0.107.0). Use the TorchSharp version the package depends on.");
}

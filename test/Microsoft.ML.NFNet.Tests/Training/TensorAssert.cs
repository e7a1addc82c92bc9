using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>Exact tensor comparisons (TorchSharp's <c>Tensor.equal</c> is element-wise, unlike PyTorch's).</summary>
internal static class TensorAssert
{
    public static bool Identical(Tensor expected, Tensor actual) =>
        expected.dtype == actual.dtype && expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>();

    public static void AreIdentical(Tensor expected, Tensor actual, string message = "") =>
        Assert.IsTrue(Identical(expected, actual), $"{message}\nexpected {Describe(expected)}\nactual {Describe(actual)}");

    private static string Describe(Tensor t) =>
        t.numel() <= 64 ? t.ToString(TorchSharp.TensorStringStyle.Numpy) : t.ToString();
}

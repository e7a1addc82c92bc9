using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests;

/// <summary>Tensor comparisons with messages that say where and by how much two tensors differ.</summary>
internal static class TensorAssert
{
    /// <summary>Asserts equal shapes and max |actual − expected| ≤ <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        using var diff = (actual.to(float64) - expected.to(float64)).abs();
        var maxDiff = diff.max().item<double>();
        Assert.IsFalse(double.IsNaN(maxDiff), $"{what}: NaN in the result");
        Assert.IsTrue(maxDiff <= tolerance, $"{what}: max |diff| = {maxDiff:E3} > tolerance {tolerance:E3}");
    }

    /// <summary>Asserts max |actual − expected| ≤ <paramref name="relative"/> · max |expected| + <paramref name="absolute"/>.</summary>
    public static void CloseRelativeToMax(Tensor expected, Tensor actual, double relative, string what, double absolute = 0)
    {
        var scale = expected.abs().max().to(float64).item<double>();
        Close(expected, actual, relative * scale + absolute, what);
    }

    /// <summary>Identical shapes, dtypes and values (TorchSharp's <c>Tensor.equal</c> is element-wise, unlike PyTorch's).</summary>
    public static bool AreEqual(Tensor expected, Tensor actual) =>
        expected.dtype == actual.dtype && expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>();

    /// <summary>Asserts identical shapes, dtypes and values.</summary>
    public static void Identical(Tensor expected, Tensor actual, string what = "")
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        Assert.AreEqual(expected.dtype, actual.dtype, $"{what}: dtype");
        Assert.IsTrue(expected.eq(actual).all().item<bool>(), $"{what}: values differ\nexpected {Describe(expected)}\nactual {Describe(actual)}");
    }

    private static string Describe(Tensor t) =>
        t.numel() <= 64 ? t.ToString(TorchSharp.TensorStringStyle.Numpy) : t.ToString();
}

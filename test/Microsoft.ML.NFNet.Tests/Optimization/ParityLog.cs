using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>
/// Compares tensors with max|actual − expected| ≤ relative·max|expected| + absolute and remembers, per category, the
/// largest relative error max|diff| / max|expected| seen, for the test output.
/// </summary>
internal sealed class ParityLog
{
    private readonly Dictionary<string, (double Error, string Where)> worst = [];

    public void Check(string category, string what, Tensor expected, Tensor actual, double relative, double absolute)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        using var expected64 = expected.to(float64);
        using var diff = (actual.to(float64) - expected64).abs();
        var maxDiff = diff.max().item<double>();
        var scale = expected64.abs().max().item<double>();
        Assert.IsFalse(double.IsNaN(maxDiff), $"{what}: NaN");
        Assert.IsTrue(maxDiff <= relative * scale + absolute,
            $"{what}: max |diff| = {maxDiff:E3} > {relative:E0}·{scale:E3} + {absolute:E0}");
        var error = scale > 0 ? maxDiff / scale : maxDiff;
        if (!worst.TryGetValue(category, out var current) || error > current.Error)
            worst[category] = (error, what);
    }

    public string Report() => string.Join(Environment.NewLine,
        worst.Select(kv => $"{kv.Key,-18} max rel error {kv.Value.Error:E2}  ({kv.Value.Where})"));
}

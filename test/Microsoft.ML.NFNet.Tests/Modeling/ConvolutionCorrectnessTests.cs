using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>
/// Pins the guard against libtorch 2.10's wrong CPU conv kernels (see CpuConvolution): every conv shape the models use,
/// and the odd shapes that fail without the guard, must match float64 in the forward pass, both gradients and bfloat16.
/// </summary>
[TestClass]
public class ConvolutionCorrectnessTests
{
    // Shapes that gave 20-100 % errors or NaN on the CI CPU without the guard (in, out, kernel, stride).
    [TestMethod]
    [DataRow(3, 2, 3, 2)]
    [DataRow(2, 4, 3, 1)]
    [DataRow(4, 8, 3, 1)]
    [DataRow(24, 24, 3, 1)]
    [DataRow(12, 8, 3, 1)]
    [DataRow(48, 24, 3, 1)]
    [DataRow(24, 80, 1, 1)]
    [DataRow(48, 16, 3, 2)]
    [DataRow(80, 32, 3, 2)]
    [DataRow(3, 8, 3, 2)]
    public void OddChannelCountsMatchFloat64(int inChannels, int outChannels, int kernel, int stride) =>
        AssertMatchesFloat64(inChannels, outChannels, kernel, stride, groups: 1, size: 12);

    // Few input channels run as im2col + matmul: odd sizes, strides and every small input width against float64.
    [TestMethod]
    [DataRow(3, 16, 3, 2, 13)]
    [DataRow(3, 16, 3, 2, 33)]
    [DataRow(1, 5, 3, 1, 9)]
    [DataRow(15, 17, 3, 2, 11)]
    [DataRow(3, 24, 1, 1, 7)]
    [DataRow(5, 32, 5, 2, 14)]
    public void FewInputChannelsMatchFloat64AtOddSizes(int inChannels, int outChannels, int kernel, int stride, int size) =>
        AssertMatchesFloat64(inChannels, outChannels, kernel, stride, groups: 1, size: size);

    [TestMethod]
    [DataRow("F0")]
    [DataRow("eca_nfnet_l0")]
    public void EveryConvShapeOfTheVariantMatchesFloat64(string variant)
    {
        using var model = new NFNetModel(NFNetConfig.Variant(variant), 10, device: META);
        var shapes = model.modules().OfType<ScaledStdConv2d>()
            .Select(c => (In: c.InChannels, Out: c.OutChannels, K: c.KernelSize, S: c.Stride, G: c.Groups))
            .Distinct().ToList();
        Assert.IsTrue(shapes.Count >= 10, "collected the conv shapes");
        foreach (var s in shapes)
            AssertMatchesFloat64((int)s.In, (int)s.Out, (int)s.K, (int)s.S, (int)s.G, size: s.S > 1 ? 12 : 6);
    }

    private static void AssertMatchesFloat64(int inChannels, int outChannels, int kernel, int stride, int groups, int size)
    {
        var what = $"{inChannels}->{outChannels} k{kernel} s{stride} g{groups}";
        manual_seed(inChannels * 1000 + outChannels);
        using var conv = new ScaledStdConv2d("conv", inChannels, outChannels, kernel, stride, groups);
        using var reference = new ScaledStdConv2d("conv", inChannels, outChannels, kernel, stride, groups);
        reference.to(float64);
        using (no_grad())
            foreach (var (name, p) in reference.named_parameters())
                p.copy_(conv.get_parameter(name)!);

        // Several repetitions: the failures vary from run to run.
        for (var rep = 0; rep < 3; rep++)
        {
            using var scope = NewDisposeScope();
            var x64 = randn(2, inChannels, size, size, dtype: float64).requires_grad_(true);
            var x32 = x64.detach().to(float32).requires_grad_(true);
            var y64 = reference.forward(x64);
            var y32 = conv.forward(x32);
            var upstream = randn_like(y64);
            y64.backward([upstream]);
            y32.backward([upstream.to(float32)]);
            TensorAssert.CloseRelativeToMax(y64, y32, 1e-4, $"{what} forward");
            TensorAssert.CloseRelativeToMax(x64.grad!, x32.grad!, 1e-4, $"{what} input gradient");
            TensorAssert.CloseRelativeToMax(reference.get_parameter("weight")!.grad!, conv.get_parameter("weight")!.grad!, 1e-4, $"{what} weight gradient");
            reference.zero_grad();
            conv.zero_grad();
            using (no_grad())
                TensorAssert.CloseRelativeToMax(y64, conv.forward(x64.detach().to(bfloat16)).to(float64), 0.03, $"{what} bfloat16 forward");
        }
    }
}

[TestClass]
public class EfficientChannelAttentionTests
{
    [TestMethod]
    [DataRow(256L, 5L)]
    [DataRow(1536L, 5L)]
    [DataRow(64L, 3L)]
    [DataRow(8L, 3L)]
    public void KernelSizeFollowsTimm(long channels, long expected) =>
        Assert.AreEqual(expected, EfficientChannelAttention.KernelSize(channels));

    [TestMethod]
    public void GateEqualsConv1dOverChannelsInFloat64()
    {
        manual_seed(5);
        using var eca = new EfficientChannelAttention("attn_last", 64);
        eca.to(float64);
        using var x = randn(3, 64, 5, 7, dtype: float64);
        var weight = eca.get_parameter("conv.weight")!;
        // timm: sigmoid(conv1d(mean_hw(x).view(B, 1, C), padding=(k-1)/2)), in float64 as the reference.
        var pooled = x.mean([2, 3]).view(3, 1, 64);
        var gate = nn.functional.conv1d(pooled, weight, padding: (weight.shape[2] - 1) / 2).sigmoid().view(3, 64, 1, 1);
        TensorAssert.Close(x * gate, eca.forward(x), 1e-12, "ECA");
    }
}

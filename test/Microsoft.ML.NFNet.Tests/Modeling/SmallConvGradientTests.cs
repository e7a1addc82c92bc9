using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>
/// Pins the guard against libtorch 2.10's wrong NCHW conv input gradients for convs with fewer than 16 output channels
/// on AVX-512 CPUs (docs/torchsharp-notes.md): <see cref="ScaledStdConv2d"/> input gradients must match float64.
/// </summary>
[TestClass]
public class SmallConvGradientTests
{
    [TestMethod]
    [DataRow(3, 2, 2)]
    [DataRow(2, 4, 1)]
    [DataRow(4, 8, 1)]
    [DataRow(8, 8, 1)]
    [DataRow(8, 16, 2)]
    public void InputGradientMatchesFloat64(int inChannels, int outChannels, int stride)
    {
        manual_seed(7);
        using var conv = new ScaledStdConv2d("conv", inChannels, outChannels, 3, stride, samePadding: true);
        using var conv64 = new ScaledStdConv2d("conv", inChannels, outChannels, 3, stride, samePadding: true);
        conv64.to(float64);
        using (no_grad())
            foreach (var (name, p) in conv64.named_parameters())
                p.copy_(conv.get_parameter(name)!);

        // Several repetitions: the libtorch bug is intermittent.
        for (var rep = 0; rep < 5; rep++)
        {
            using var x64 = randn(3, inChannels, 16, 16, dtype: float64);
            using var upstream = randn_like(conv64.forward(x64));
            var x32 = x64.to(float32).requires_grad_(true);
            var xRef = x64.clone().requires_grad_(true);
            conv.forward(x32).backward([upstream.to(float32)]);
            conv64.forward(xRef).backward([upstream]);
            TensorAssert.CloseRelativeToMax(xRef.grad!, x32.grad!, 1e-4, $"{inChannels}->{outChannels} s{stride} input gradient");
        }
    }
}

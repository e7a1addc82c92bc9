using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet.Native;

/// <summary>
/// 2-D convolution that avoids libtorch 2.10's broken CPU (oneDNN) kernels for channel counts that do not fill the
/// kernels' channel blocks.
/// </summary>
/// <remarks>
/// On AVX-512 CPUs, libtorch 2.10's oneDNN kernels give wrong results (up to 100 % error or NaN) for ungrouped convs
/// whose input channel count is not a multiple of 16, wrong input gradients when the output count is not a multiple of
/// 16 (or, for stride-2 3×3 convs, the input count not a multiple of 32), and wrong bfloat16 results in both cases; the
/// README ("Known limitations") has the measurements. Zero-padding the channels up to those multiples is exact (the
/// padded products are zero). Only the stem's 3-channel image input of the published variants needs it; grouped convs
/// are correct and left alone. test/.../Modeling/ConvolutionCorrectnessTests.cs pins the behaviour.
/// </remarks>
internal static class CpuConvolution
{
    private const long ChannelBlock = 16;
    private const long StridedInputChannelBlock = 32;

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding, long groups)
    {
        long[] strides = [stride, stride];
        long[] paddings = [padding, padding];
        if (input.device_type != DeviceType.CPU || groups != 1)
            return F.conv2d(input, weight, bias, strides, paddings, groups: groups);

        var inChannels = weight.shape[1];
        var outChannels = weight.shape[0];
        var paddedIn = RoundUp(inChannels, stride > 1 ? StridedInputChannelBlock : ChannelBlock);
        var paddedOut = RoundUp(outChannels, ChannelBlock);
        if (paddedIn == inChannels && paddedOut == outChannels)
            return F.conv2d(input, weight, bias, strides, paddings, groups: 1);

        using var scope = NewDisposeScope();
        // F.pad lists (before, after) pairs from the last dimension backwards: W, H, then channels (and O for weights).
        var x = paddedIn == inChannels ? input : F.pad(input, [0, 0, 0, 0, 0, paddedIn - inChannels]);
        var w = F.pad(weight, [0, 0, 0, 0, 0, paddedIn - inChannels, 0, paddedOut - outChannels]);
        var b = bias is null || paddedOut == outChannels ? bias : F.pad(bias, [0, paddedOut - outChannels]);
        var y = F.conv2d(x, w, b, strides, paddings, groups: 1);
        if (paddedOut != outChannels)
            y = y.narrow(1, 0, outChannels).contiguous();
        return y.MoveToOuterDisposeScope();
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;
}

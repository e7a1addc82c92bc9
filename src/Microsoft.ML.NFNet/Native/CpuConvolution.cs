using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet.Native;

/// <summary>
/// 2-D convolution that avoids libtorch 2.10's broken CPU (oneDNN) kernels for channel counts that do not fill the
/// kernels' channel blocks.
/// </summary>
/// <remarks>
/// Measured on this project's CI CPU (AMD EPYC, AVX-512) against float64 references, for ungrouped convs: forward
/// results are wrong (up to 100 % error or NaN, varying from run to run) when the input channel count is not a multiple
/// of 16; input gradients are wrong when the output channel count is not a multiple of 16, and for stride-2 3×3 convs
/// whose input channel count is not a multiple of 32; bfloat16 forward results are wrong in both cases. Capping oneDNN
/// at AVX2 moves the failures to multiples of 8 instead of fixing them, and channels_last inputs fail on other shapes.
/// Zero-padding the channels up to those multiples gives exact results (the padded products are zero) in every case we
/// measured. No published NFNet variant has such convs except the 3-channel image input of the stem, so the cost
/// there is a fraction of a percent; small custom configurations are the ones that need it. Grouped convs were correct
/// in all measured shapes and are left alone. test/.../Modeling/ConvolutionCorrectnessTests.cs pins the behaviour.
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

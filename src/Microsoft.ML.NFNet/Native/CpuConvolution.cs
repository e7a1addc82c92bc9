using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// 2-D convolution that avoids libtorch 2.10's broken CPU (oneDNN) kernels for channel counts that do not fill the
/// kernels' channel blocks.
/// </summary>
/// <remarks>
/// On AVX-512 CPUs, libtorch 2.10's oneDNN kernels give wrong results (up to 100 % error or NaN) for ungrouped convs
/// whose input channel count is not a multiple of 16, wrong input gradients when the output count is not a multiple of
/// 16 (or, for stride-2 3×3 convs, the input count not a multiple of 32), and wrong bfloat16 results in both cases; the
/// README ("Known limitations") has the measurements. Convs with fewer input channels than a block (the 3-channel image
/// input of every stem, small custom configurations) skip the conv kernels: they run as im2col (<c>unfold</c>) and one
/// matrix product, exact by construction and much cheaper than a conv padded to 32 channels. Other such shapes are
/// zero-padded up to those multiples, which is exact too (the padded products are zero). Grouped convs are correct and
/// left alone; float64 (not served by oneDNN) keeps the padded conv, so tests have an independent reference.
/// test/.../Modeling/ConvolutionCorrectnessTests.cs pins the behaviour.
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
        if (inChannels < ChannelBlock && input.dtype != ScalarType.Float64)
            return MatmulConv2d(input, weight, bias, stride, padding);
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

    // im2col: every k×k patch of every input channel becomes a column [B, C·k·k, L], times the filters [O, C·k·k].
    private static Tensor MatmulConv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding)
    {
        using var scope = NewDisposeScope();
        var kernel = weight.shape[2];
        long OutputSize(long size) => (size + 2 * padding - kernel) / stride + 1;
        var columns = F.unfold(input, kernel, padding: padding, stride: stride);
        var y = weight.reshape(weight.shape[0], -1).matmul(columns);
        if (bias is not null)
            y = y.Plus(bias.view(1, -1, 1));
        return y.view(input.shape[0], weight.shape[0], OutputSize(input.shape[2]), OutputSize(input.shape[3]))
            .MoveToOuterDisposeScope();
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Maps 0..255 RGB to <c>(x / 255 - mean) / std</c> per channel, in place, for a whole batch at once.</summary>
internal static class ChannelNormalizer
{
    /// <summary>Normalises a float batch <c>[N, 3, H, W]</c> holding 0..255 values, in place.</summary>
    public static void NormalizeInPlace(Tensor batch, ImagePreprocessingOptions options)
    {
        using var scope = torch.NewDisposeScope();
        // Folded into one multiply-add: x * 1/(255 std) - mean/std.
        var (meanRed, meanGreen, meanBlue) = options.ResolvedMean;
        var (stdRed, stdGreen, stdBlue) = options.ResolvedStd;
        var scale = ChannelVector(batch, 1 / (255 * stdRed), 1 / (255 * stdGreen), 1 / (255 * stdBlue));
        var shift = ChannelVector(batch, -meanRed / stdRed, -meanGreen / stdGreen, -meanBlue / stdBlue);
        batch.mul_(scale).PlusInPlace(shift);
    }

    private static Tensor ChannelVector(Tensor like, double red, double green, double blue) =>
        torch.tensor(new[] { (float)red, (float)green, (float)blue }, dtype: like.dtype, device: like.device).view(1, 3, 1, 1);
}

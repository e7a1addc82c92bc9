using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The views that <see cref="ImagePreprocessingOptions.TestTimeAugmentation"/> averages: the scoring batch itself, four
/// copies shifted left, right, up and down by <see cref="ShiftFor"/> pixels (the uncovered edge repeats the border
/// pixels), and the mirror image when the model was trained with flips (a model that never saw mirrored images has no
/// reason to score them well).
/// </summary>
internal static class TestTimeViews
{
    /// <summary>The shift: 1/16 of the input side (2 px at 32 px, 4 px at 64), at least one pixel.</summary>
    public static int ShiftFor(int size) => Math.Max(1, (int)Math.Round(size / 16.0, MidpointRounding.AwayFromZero));

    /// <summary>The views of a normalized batch <c>[N, 3, H, W]</c>, the batch itself first.</summary>
    public static IEnumerable<Tensor> Of(Tensor batch, bool mirror)
    {
        yield return batch;
        var height = batch.shape[2];
        var width = batch.shape[3];
        var shift = ShiftFor((int)Math.Min(height, width));
        using var padded = F.pad(batch, [shift, shift, shift, shift], PaddingModes.Replicate);
        // A view moved right by dx shows the pixel dx to the left: its window starts shift - dx into the padding.
        foreach (var (dx, dy) in new[] { (-shift, 0), (shift, 0), (0, -shift), (0, shift) })
            yield return padded.narrow(2, shift - dy, height).narrow(3, shift - dx, width).contiguous();
        if (mirror)
            yield return batch.flip(3);
    }
}

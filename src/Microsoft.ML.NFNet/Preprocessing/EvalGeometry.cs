namespace Microsoft.ML.NFNet.Preprocessing;

/// <summary>
/// Where evaluation preprocessing resizes and crops, computed exactly as torchvision's <c>Resize</c> and
/// <c>CenterCrop</c> do (truncating and banker's rounding included), so results line up with timm pixel for pixel.
/// </summary>
internal static class EvalGeometry
{
    /// <summary>The size an image of <paramref name="height"/>×<paramref name="width"/> is resized to before cropping
    /// to a <paramref name="size"/>-square.</summary>
    public static (int Height, int Width) ResizedSize(int height, int width, int size, ImagePreprocessingOptions options)
    {
        var scaleSize = (int)Math.Floor(size / options.ResolvedEvalCropFraction);
        if (options.ResolvedEvalResizeMode == EvalResizeMode.Squash)
            return (scaleSize, scaleSize);
        // torchvision: the shorter side becomes scaleSize, the longer int(scaleSize * long / short) in floating point.
        return width <= height
            ? ((int)((double)scaleSize * height / width), scaleSize)
            : (scaleSize, (int)((double)scaleSize * width / height));
    }

    /// <summary>The centred <paramref name="size"/>-square of an image (torchvision rounds the offset half to even).</summary>
    public static CropBox CenterCrop(int height, int width, int size) =>
        new((int)Math.Round((height - size) / 2.0), (int)Math.Round((width - size) / 2.0), size, size);
}

namespace Microsoft.ML.NFNet;

/// <summary>How evaluation turns an image into the network's square: the <see cref="Source"/> region of the image is
/// resized to <see cref="ResizedHeight"/> × <see cref="ResizedWidth"/>, and <see cref="Crop"/> of the result is kept.</summary>
internal readonly record struct EvalPlan(CropBox Source, int ResizedHeight, int ResizedWidth, CropBox Crop)
{
    /// <summary>Pixels of the resized region: what one image costs beyond its decoded pixels and the output.</summary>
    public long ResizedArea => (long)ResizedHeight * ResizedWidth;
}

/// <summary>
/// Where evaluation preprocessing resizes and crops, computed exactly as torchvision's <c>Resize</c> and
/// <c>CenterCrop</c> do (truncating and banker's rounding included), so results line up with timm pixel for pixel.
/// </summary>
/// <remarks>
/// torchvision resizes the whole image and then crops, which for a thin strip (1,000,000 × 1 pixels: its short side
/// becomes 256, its long side 256 million) means gigabytes for a 224-pixel square. So along an axis whose resized length
/// would exceed <see cref="ExactAxisFactor"/> × the crop, only the source pixels under the crop (and the resampling
/// kernel's reach around them) are resized, at the same scale, and the crop is taken from that: the work is bounded
/// whatever the shape. Where the region can start and end on whole periods of the scale (always for a strip one pixel
/// thick) it is resampled on torchvision's own grid; otherwise the grid is off by at most a sub-pixel shift on that
/// axis. Every axis of an image up to about 7:1 (at crop fraction 0.875) is resized whole, exactly as torchvision does.
/// </remarks>
internal static class EvalGeometry
{
    /// <summary>An axis whose resized length is at most this multiple of the crop is resized whole, as torchvision does.</summary>
    internal const int ExactAxisFactor = 8;

    /// <summary>On a bounded axis the kernel margin around the crop is trimmed to keep the resized region within this
    /// multiple of the crop when a strong upscale would make each margin pixel many resized ones.</summary>
    internal const int MarginFactor = 2;

    /// <summary>How many source pixels beyond the margin are searched for region ends on torchvision's grid.</summary>
    private const int MaxSnapSearch = 256;

    /// <summary>A bounded axis never resizes more than this multiple of the crop: past it (a crop inside one or two
    /// source pixels, at a tiny crop fraction) the region is resized less and the crop covers a little more of it.</summary>
    internal const int BoundedAxisFactor = 4;

    /// <summary>The size torchvision's <c>Resize</c> gives an image of <paramref name="height"/>×<paramref name="width"/>
    /// before cropping to a <paramref name="size"/>-square (it may be far larger than anything actually resized).</summary>
    public static (long Height, long Width) ResizedSize(int height, int width, int size, ImagePreprocessingOptions options)
    {
        long scaleSize = (long)Math.Floor(size / options.ResolvedEvalCropFraction);
        if (options.ResolvedEvalResizeMode == EvalResizeMode.Squash)
            return (scaleSize, scaleSize);
        // torchvision: the shorter side becomes scaleSize, the longer int(scaleSize * long / short) in floating point.
        return width <= height
            ? ((long)((double)scaleSize * height / width), scaleSize)
            : (scaleSize, (long)((double)scaleSize * width / height));
    }

    /// <summary>The centred <paramref name="size"/>-square of an image (torchvision rounds the offset half to even).</summary>
    public static CropBox CenterCrop(int height, int width, int size) =>
        new(CenterOffset(height, size), CenterOffset(width, size), size, size);

    /// <summary>What to resize and crop to evaluate an image of <paramref name="height"/>×<paramref name="width"/> at
    /// <paramref name="size"/>; see the remarks of <see cref="EvalGeometry"/>.</summary>
    public static EvalPlan Plan(int height, int width, int size, ImagePreprocessingOptions options)
    {
        var (resizedHeight, resizedWidth) = ResizedSize(height, width, size, options);
        var radius = options.ResolvedInterpolation == ImageInterpolation.Bilinear ? 1 : 2; // the kernel's reach in source pixels
        var rows = Axis(height, resizedHeight, size, radius);
        var columns = Axis(width, resizedWidth, size, radius);
        return new EvalPlan(
            new CropBox(rows.SourceStart, columns.SourceStart, rows.SourceLength, columns.SourceLength),
            rows.ResizedLength, columns.ResizedLength,
            new CropBox(rows.CropStart, columns.CropStart, size, size));
    }

    private static AxisPlan Axis(int length, long resized, int size, int radius)
    {
        var crop = CenterOffset(resized, size);
        if (resized <= (long)ExactAxisFactor * size)
            return new AxisPlan(0, length, (int)resized, (int)crop);

        var scale = (double)resized / length; // resized pixels per source pixel
        var first = (long)Math.Floor(crop / scale);
        var end = Math.Min(length, (long)Math.Ceiling((crop + size) / scale));
        // Downscaling widens the kernel to radius / scale source pixels; an upscale keeps it at radius.
        var margin = (long)Math.Ceiling(radius * Math.Max(1, 1 / scale));
        var allowed = (long)Math.Floor(((double)MarginFactor * size / scale - (end - first)) / 2);
        margin = Math.Clamp(allowed, 0, margin);
        var start = Math.Max(0, first - margin);
        end = Math.Min(length, end + margin);

        // Ends on source pixels that fall (nearly) on whole resized pixels put the region on torchvision's own sampling
        // grid: a few pixels further out are searched for the best (a 1-pixel-thick strip's every pixel is exact).
        var window = (long)Math.Clamp(Math.Floor(size / (2 * scale)), 0, MaxSnapSearch);
        start = NearestGridPixel(start, Math.Max(0, start - window), resized, length);
        end = NearestGridPixel(end, Math.Min(length, end + window), resized, length);

        var resizedLength = (end - start) * scale;
        var cropStart = crop - start * scale;
        var limit = (double)BoundedAxisFactor * size;
        if (resizedLength > limit)
        {
            // The crop keeps its centre in source coordinates.
            var centre = (crop + size / 2.0) / scale - start;
            resizedLength = limit;
            cropStart = centre * limit / (end - start) - size / 2.0;
        }
        var rounded = Math.Max(size, (int)Math.Round(resizedLength));
        return new AxisPlan((int)start, (int)(end - start), rounded, (int)Math.Clamp(Math.Round(cropStart), 0, rounded - size));
    }

    /// <summary>Of the source pixels from <paramref name="from"/> to <paramref name="to"/> (either order), the first whose
    /// resized position <c>pixel × resized / length</c> is nearest a whole number.</summary>
    private static long NearestGridPixel(long from, long to, long resized, long length)
    {
        var step = to >= from ? 1 : -1;
        long best = from, bestDistance = long.MaxValue;
        for (var pixel = from; ; pixel += step)
        {
            var remainder = (long)((Int128)pixel * resized % length);
            var distance = Math.Min(remainder, length - remainder);
            if (distance < bestDistance)
                (best, bestDistance) = (pixel, distance);
            if (pixel == to || distance == 0)
                return best;
        }
    }

    private static int CenterOffset(int length, int size) => (int)CenterOffset((long)length, size);

    private static long CenterOffset(long length, int size) => (long)Math.Round((length - size) / 2.0);

    private readonly record struct AxisPlan(int SourceStart, int SourceLength, int ResizedLength, int CropStart);
}

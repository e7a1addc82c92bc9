using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The geometric part of preprocessing, shared by training and scoring: from a decoded uint8 <c>[3, H, W]</c> image to a
/// uint8 <c>[3, S, S]</c> network-sized one. Normalisation happens once per batch (<see cref="ChannelNormalizer"/>).
/// </summary>
/// <remarks>
/// Resizing runs on uint8 pixels with antialiasing (<c>interpolate(..., antialias: true)</c>), libtorch's port of PIL's
/// resampling: the same kernels (bicubic a = -0.5, triangle), the filter widened when downscaling, the result rounded
/// and clamped to 0..255 as PIL does. So this matches timm's PIL pipeline to within a grey level or so, and the uint8
/// kernel is faster than the float one (README, "Benchmarks").
/// </remarks>
internal sealed class ImagePreprocessor(ImagePreprocessingOptions options)
{
    private readonly InterpolationMode mode =
        options.ResolvedInterpolation == ImageInterpolation.Bilinear ? InterpolationMode.Bilinear : InterpolationMode.Bicubic;

    public ImagePreprocessingOptions Options => options;

    /// <summary>Evaluation: resize (<see cref="EvalGeometry.ResizedSize"/>), then take the centre
    /// <paramref name="size"/>-square; only the part of the image under the crop is resized when the whole would be
    /// far larger (<see cref="EvalGeometry.Plan"/>).</summary>
    public Tensor Evaluate(Tensor rgb, int size)
    {
        var (height, width) = Size(rgb);
        var plan = EvalGeometry.Plan(height, width, size, options);
        var resized = Resize(Crop(rgb, plan.Source), plan.ResizedHeight, plan.ResizedWidth);
        return Crop(resized, plan.Crop);
    }

    /// <summary>
    /// Training: a random resized crop (or the evaluation crop when <see cref="ImagePreprocessingOptions.RandomResizedCrop"/>
    /// is off), then a random horizontal flip. The same <paramref name="random"/> state gives the same result.
    /// </summary>
    public Tensor Augment(Tensor rgb, Random random)
    {
        var size = options.TrainingSize;
        Tensor cropped;
        if (options.RandomResizedCrop)
        {
            var (height, width) = Size(rgb);
            var box = RandomResizedCrop.Sample(height, width, options, random);
            cropped = Resize(Crop(rgb, box), size, size);
        }
        else
        {
            cropped = Evaluate(rgb, size);
        }
        return random.NextDouble() < options.ResolvedFlipProbability ? cropped.flip(2) : cropped;
    }

    private Tensor Resize(Tensor rgb, int height, int width)
    {
        var (currentHeight, currentWidth) = Size(rgb);
        if (currentHeight == height && currentWidth == width)
            return rgb;
        return nn.functional.interpolate(rgb.unsqueeze(0), [height, width], mode: mode, align_corners: false, antialias: true)
            .squeeze(0);
    }

    private static Tensor Crop(Tensor rgb, CropBox box) => rgb.narrow(1, box.Top, box.Height).narrow(2, box.Left, box.Width);

    private static (int Height, int Width) Size(Tensor rgb) => ((int)rgb.shape[1], (int)rgb.shape[2]);
}

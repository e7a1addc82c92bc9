namespace Microsoft.ML.NFNet;

/// <summary>
/// How images are decoded, resized, cropped, augmented and normalised. One instance drives both training and scoring
/// and is stored with the model, so every property is a plain value; call <see cref="Validate"/> after changing it
/// (every consumer validates too).
/// </summary>
/// <remarks>
/// Pixels are RGB in 0..255; normalisation computes <c>(x / 255 - mean) / std</c> per channel.
/// The training-only properties (crop, flip, MixUp, CutMix) have no effect on scoring.
/// </remarks>
public sealed record ImagePreprocessingOptions
{
    /// <summary>64 megapixels: an 8000×8000 photo passes, a crafted "decompression bomb" header does not.</summary>
    public const long DefaultMaxImagePixels = 64_000_000;

    /// <summary>Side of the square network input in pixels (default 224). NFNet-F0 trains at 192 and tests at 256.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>
    /// Side of the square network input when scoring, in pixels; null (default) scores at <see cref="ImageSize"/>.
    /// Pretrained NFNets score best above their training size (timm's <c>test_input_size</c>, e.g. 256 for F0 trained at 192).
    /// </summary>
    public int? EvalImageSize { get; init; }

    /// <summary>
    /// Evaluation crop fraction (timm's <c>crop_pct</c>): resize to <c>floor(ImageSize / EvalCropFraction)</c>, then take
    /// the centre <c>ImageSize</c> square. In (0, 1]; 1 means no cropping beyond the aspect ratio.
    /// </summary>
    /// <remarks>
    /// Default 0.875, the standard ImageNet evaluation ratio (torchvision, timm's default). It equals DeepMind's
    /// "resize to size + 32" rule at 224 px (224 / 256) and, being a fraction, scales sensibly with any image size,
    /// which a fixed margin does not. timm's <c>dm_nfnet_f0..f6</c> weights were evaluated with 0.9 … 0.956 and
    /// <see cref="EvalResizeMode.Squash"/>; set those when scoring with those weights.
    /// </remarks>
    public double EvalCropFraction { get; init; } = 0.875;

    /// <summary>Whether evaluation resizing keeps the aspect ratio (default) or squashes both sides to the same length.</summary>
    public EvalResizeMode EvalResizeMode { get; init; } = EvalResizeMode.ShorterSide;

    /// <summary>Resampling filter for every resize (default bicubic, antialiased when downscaling).</summary>
    public ImageInterpolation Interpolation { get; init; } = ImageInterpolation.Bicubic;

    /// <summary>Mean of the red channel on a 0..1 scale (default ImageNet, 0.485).</summary>
    public double MeanRed { get; init; } = 0.485;

    /// <summary>Mean of the green channel on a 0..1 scale (default ImageNet, 0.456).</summary>
    public double MeanGreen { get; init; } = 0.456;

    /// <summary>Mean of the blue channel on a 0..1 scale (default ImageNet, 0.406).</summary>
    public double MeanBlue { get; init; } = 0.406;

    /// <summary>Standard deviation of the red channel on a 0..1 scale (default ImageNet, 0.229). Positive.</summary>
    public double StdRed { get; init; } = 0.229;

    /// <summary>Standard deviation of the green channel on a 0..1 scale (default ImageNet, 0.224). Positive.</summary>
    public double StdGreen { get; init; } = 0.224;

    /// <summary>Standard deviation of the blue channel on a 0..1 scale (default ImageNet, 0.225). Positive.</summary>
    public double StdBlue { get; init; } = 0.225;

    /// <summary>
    /// Largest accepted width × height, checked from the image header before any pixel is decoded, so a tiny file that
    /// claims enormous dimensions fails fast instead of exhausting memory. Default <see cref="DefaultMaxImagePixels"/>.
    /// </summary>
    public long MaxImagePixels { get; init; } = DefaultMaxImagePixels;

    /// <summary>
    /// Training: crop a random region (area fraction in [<see cref="CropScaleMin"/>, <see cref="CropScaleMax"/>], aspect
    /// ratio log-uniform in [<see cref="CropRatioMin"/>, <see cref="CropRatioMax"/>], torchvision's RandomResizedCrop)
    /// and resize it to <see cref="ImageSize"/>. When false, training uses the evaluation resize and centre crop.
    /// </summary>
    public bool RandomResizedCrop { get; init; } = true;

    /// <summary>Smallest crop area as a fraction of the image area, in (0, 1] (default 0.08).</summary>
    public double CropScaleMin { get; init; } = 0.08;

    /// <summary>Largest crop area as a fraction of the image area, in [<see cref="CropScaleMin"/>, 1] (default 1).</summary>
    public double CropScaleMax { get; init; } = 1.0;

    /// <summary>Smallest crop aspect ratio (width / height), positive (default 3/4).</summary>
    public double CropRatioMin { get; init; } = 3.0 / 4.0;

    /// <summary>Largest crop aspect ratio (width / height), at least <see cref="CropRatioMin"/> (default 4/3).</summary>
    public double CropRatioMax { get; init; } = 4.0 / 3.0;

    /// <summary>Training: probability of mirroring an image left-right, in [0, 1] (default 0.5).</summary>
    public double HorizontalFlipProbability { get; init; } = 0.5;

    /// <summary>
    /// Training: MixUp strength α; the mixing ratio λ is drawn from Beta(α, α) once per batch and image i is blended
    /// with image N-1-i. 0 (default) disables MixUp. DeepMind's NFNet recipe uses 0.2.
    /// </summary>
    public double MixUpAlpha { get; init; }

    /// <summary>
    /// Training: CutMix strength α; λ ~ Beta(α, α) sets the area of a random box pasted from image N-1-i, and the label
    /// weight is corrected to the box's actual (clipped) area. 0 (default) disables CutMix.
    /// </summary>
    public double CutMixAlpha { get; init; }

    /// <summary>
    /// Training: probability that a batch is mixed at all when MixUp or CutMix is on (timm's <c>mix_prob</c>), in [0, 1]
    /// (default 1). An unmixed batch still gets soft (one-hot, smoothed) targets.
    /// </summary>
    public double MixProbability { get; init; } = 1.0;

    /// <summary>
    /// Training: when both MixUp and CutMix are on, the probability that a mixed batch uses CutMix rather than MixUp
    /// (timm's <c>switch_prob</c>), in [0, 1] (default 0.5).
    /// </summary>
    public double SwitchProbability { get; init; } = 0.5;

    /// <summary>True when MixUp or CutMix is on, so training targets are soft <c>[N, classes]</c> distributions.</summary>
    public bool MixesBatches => MixUpAlpha > 0 || CutMixAlpha > 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first property whose value is invalid.</summary>
    public void Validate()
    {
        Require(ImageSize is >= 1 and <= 4096, nameof(ImageSize), ImageSize, "must be between 1 and 4096 pixels");
        Require(EvalCropFraction > 0 && EvalCropFraction <= 1, nameof(EvalCropFraction), EvalCropFraction, "must be in (0, 1]");
        Require(Enum.IsDefined(EvalResizeMode), nameof(EvalResizeMode), EvalResizeMode, "is not a known resize mode");
        Require(Enum.IsDefined(Interpolation), nameof(Interpolation), Interpolation, "is not a known interpolation");
        Require(double.IsFinite(MeanRed), nameof(MeanRed), MeanRed, "must be a finite number");
        Require(double.IsFinite(MeanGreen), nameof(MeanGreen), MeanGreen, "must be a finite number");
        Require(double.IsFinite(MeanBlue), nameof(MeanBlue), MeanBlue, "must be a finite number");
        RequirePositive(StdRed, nameof(StdRed));
        RequirePositive(StdGreen, nameof(StdGreen));
        RequirePositive(StdBlue, nameof(StdBlue));
        Require(MaxImagePixels >= 1, nameof(MaxImagePixels), MaxImagePixels, "must be at least 1");
        Require(CropScaleMin > 0 && CropScaleMin <= 1, nameof(CropScaleMin), CropScaleMin, "must be in (0, 1]");
        Require(CropScaleMax >= CropScaleMin && CropScaleMax <= 1, nameof(CropScaleMax), CropScaleMax,
            $"must be in [CropScaleMin ({CropScaleMin}), 1]");
        RequirePositive(CropRatioMin, nameof(CropRatioMin));
        Require(double.IsFinite(CropRatioMax) && CropRatioMax >= CropRatioMin, nameof(CropRatioMax), CropRatioMax,
            $"must be finite and at least CropRatioMin ({CropRatioMin})");
        RequireProbability(HorizontalFlipProbability, nameof(HorizontalFlipProbability));
        RequireNonNegative(MixUpAlpha, nameof(MixUpAlpha));
        RequireNonNegative(CutMixAlpha, nameof(CutMixAlpha));
        RequireProbability(MixProbability, nameof(MixProbability));
        RequireProbability(SwitchProbability, nameof(SwitchProbability));
    }

    private static void RequirePositive(double value, string name) =>
        Require(double.IsFinite(value) && value > 0, name, value, "must be a positive finite number");

    private static void RequireNonNegative(double value, string name) =>
        Require(double.IsFinite(value) && value >= 0, name, value, "must be zero (off) or a positive finite number");

    private static void RequireProbability(double value, string name) =>
        Require(value is >= 0 and <= 1, name, value, "is a probability and must be in [0, 1]");

    private static void Require(bool condition, string name, object value, string rule)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(ImagePreprocessingOptions)}.{name} {rule}.");
    }
}

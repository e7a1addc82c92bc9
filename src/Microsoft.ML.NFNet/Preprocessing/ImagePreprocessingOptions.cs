using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// How images are decoded, resized, cropped, augmented and normalised. One instance drives both training and scoring
/// and is stored with the model, so every property is a plain value.
/// </summary>
/// <remarks>
/// <para>Pixels are RGB in 0..255; normalisation computes <c>(x / 255 - mean) / std</c> per channel.
/// The training-only properties (crop, flip, MixUp, CutMix) have no effect on scoring.</para>
/// <para>A property documented as "null: automatic" is chosen from the data by the training engine (the choice is
/// logged and saved with the model); a value you set always wins. Building batches directly with
/// <see cref="ImageBatcher"/> needs the automatic properties it uses to be set.</para>
/// <para>The evaluation geometry and normalisation (<see cref="EvalCropFraction"/>, <see cref="EvalResizeMode"/>,
/// <see cref="Interpolation"/>, the means and standard deviations) are null by default too: when training starts from
/// pretrained weights they follow the weights' configuration, otherwise ImageNet's values (which
/// <see cref="ImageBatcher"/> also uses for a null). The training engine saves them resolved with the model.</para>
/// </remarks>
public sealed record ImagePreprocessingOptions
{
    /// <summary>64 megapixels: an 8000×8000 photo passes, a crafted "decompression bomb" header does not.</summary>
    public const long DefaultMaxImagePixels = 64_000_000;

    /// <summary>100: a 1:100 strip still passes (line scans, long receipts, sprite rows); a 1,000,000 × 1 "image" does not.</summary>
    public const double DefaultMaxAspectRatio = 100;

    /// <summary>The evaluation crop fraction used when <see cref="EvalCropFraction"/> is null and no pretrained weights
    /// say otherwise (the standard ImageNet ratio).</summary>
    public const double DefaultEvalCropFraction = 0.875;

    /// <summary>ImageNet's per-channel mean (red, green, blue; 0..1 scale): the default of <see cref="Mean"/>.</summary>
    public static IReadOnlyList<double> ImageNetMean { get; } = [0.485, 0.456, 0.406];

    /// <summary>ImageNet's per-channel standard deviation (red, green, blue): the default of <see cref="Std"/>.</summary>
    public static IReadOnlyList<double> ImageNetStd { get; } = [0.229, 0.224, 0.225];

    private static readonly OptionCheck Check = new(nameof(ImagePreprocessingOptions));

    /// <summary>The width and height the header of <paramref name="encoded"/> declares (as stored, before any EXIF
    /// rotation), read without decoding a pixel, by the decoder that would decode it: for a limit of one's own (a
    /// server's, say) that must refuse a small file claiming enormous dimensions before it reaches a model.</summary>
    /// <exception cref="InvalidImageException">The bytes are empty, not an image in a supported format (a refused format
    /// is named), or the header is truncated or corrupt.</exception>
    public static (long Width, long Height) ReadImageSize(ReadOnlySpan<byte> encoded)
    {
        var size = EncodedImageSize.Read(encoded);
        return (size.Width, size.Height);
    }

    /// <summary>Side of the square network input when training, in pixels, and when scoring unless
    /// <see cref="EvalImageSize"/> is set. Null (default): automatic. NFNet-F0 trains at 192 and tests at 256.</summary>
    public int? ImageSize { get; set; }

    /// <summary>Side of the square network input when scoring; null (default) uses <see cref="ImageSize"/>.
    /// Pretrained NFNets score best somewhat above their training size (timm's <c>test_input_size</c>).</summary>
    public int? EvalImageSize { get; set; }

    /// <summary>
    /// Evaluation crop fraction (timm's <c>crop_pct</c>): resize to <c>floor(size / EvalCropFraction)</c>, then take the
    /// centre square. In (0, 1]; 1 means no cropping beyond the aspect ratio. Null (default): the pretrained weights'
    /// value when training starts from them, else <see cref="DefaultEvalCropFraction"/>.
    /// </summary>
    /// <remarks>
    /// 0.875 is the standard ImageNet evaluation ratio (torchvision, timm's default). It equals DeepMind's
    /// "resize to size + 32" rule at 224 px (224 / 256) and, being a fraction, scales sensibly with any image size,
    /// which a fixed margin does not. timm's <c>dm_nfnet_f0..f6</c> weights were evaluated with 0.9 … 0.956 and
    /// <see cref="NFNet.EvalResizeMode.Squash"/>; the pretrained catalog sets those.
    /// </remarks>
    public double? EvalCropFraction { get; set; }

    /// <summary>Whether evaluation resizing keeps the aspect ratio or squashes both sides to the same length. Null
    /// (default): the pretrained weights' crop mode when training starts from them, else
    /// <see cref="NFNet.EvalResizeMode.ShorterSide"/>.</summary>
    public EvalResizeMode? EvalResizeMode { get; set; }

    /// <summary>Resampling filter for every resize (antialiased when downscaling). Null (default): the pretrained
    /// weights' filter when training starts from them, else bicubic.</summary>
    public ImageInterpolation? Interpolation { get; set; }

    /// <summary>Per-channel mean (red, green, blue) on a 0..1 scale: three finite numbers. Null (default): the
    /// pretrained weights' mean when training starts from them, else <see cref="ImageNetMean"/>.</summary>
    public IReadOnlyList<double>? Mean { get => mean?.Values; set => mean = ChannelValues.Of(value); }

    /// <summary>Per-channel standard deviation (red, green, blue) on a 0..1 scale: three positive numbers. Null
    /// (default): the pretrained weights' values when training starts from them, else <see cref="ImageNetStd"/>.</summary>
    public IReadOnlyList<double>? Std { get => std?.Values; set => std = ChannelValues.Of(value); }

    // Copies with value equality, so options compare (and records copy) by their numbers.
    private ChannelValues? mean;
    private ChannelValues? std;

    /// <summary>
    /// Largest accepted width × height, checked from the image header before any pixel is decoded, so a tiny file that
    /// claims enormous dimensions fails fast instead of exhausting memory. Default <see cref="DefaultMaxImagePixels"/>.
    /// </summary>
    public long MaxImagePixels { get; set; } = DefaultMaxImagePixels;

    /// <summary>
    /// Largest accepted ratio of an image's long side to its short side, checked from the header before any pixel is
    /// decoded: no resize or crop turns a 1:10,000 strip into a meaningful square input, so such an image is an
    /// <see cref="InvalidImageException"/> (skipped in training with <c>SkipInvalidImages</c>). At least 1;
    /// <see cref="double.PositiveInfinity"/> turns the check off (the work per image stays bounded whatever its shape).
    /// Default <see cref="DefaultMaxAspectRatio"/>.
    /// </summary>
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] // "Infinity" in the saved JSON
    public double MaxAspectRatio { get; set; } = DefaultMaxAspectRatio;

    /// <summary>
    /// Training: crop a random region (area fraction in [<see cref="CropScaleMin"/>, <see cref="CropScaleMax"/>], aspect
    /// ratio log-uniform in [<see cref="CropRatioMin"/>, <see cref="CropRatioMax"/>], torchvision's RandomResizedCrop)
    /// and resize it to <see cref="ImageSize"/>. When false, training uses the evaluation resize and centre crop.
    /// </summary>
    public bool RandomResizedCrop { get; set; } = true;

    /// <summary>Smallest crop area as a fraction of the image area, in (0, 1]. Null (default): automatic.</summary>
    public double? CropScaleMin { get; set; }

    /// <summary>Largest crop area as a fraction of the image area, in [<see cref="CropScaleMin"/>, 1] (default 1).</summary>
    public double CropScaleMax { get; set; } = 1.0;

    /// <summary>Smallest crop aspect ratio (width / height), positive (default 3/4).</summary>
    public double CropRatioMin { get; set; } = 3.0 / 4.0;

    /// <summary>Largest crop aspect ratio (width / height), at least <see cref="CropRatioMin"/> (default 4/3).</summary>
    public double CropRatioMax { get; set; } = 4.0 / 3.0;

    /// <summary>Training: probability of mirroring an image left-right, in [0, 1]. Null (default): automatic.</summary>
    public double? HorizontalFlipProbability { get; set; }

    /// <summary>
    /// Training: MixUp strength α; the mixing ratio λ is drawn from Beta(α, α) once per batch and image i is blended
    /// with image N-1-i. 0 disables MixUp; null (default): automatic. DeepMind's NFNet recipe uses 0.2.
    /// </summary>
    public double? MixUpAlpha { get; set; }

    /// <summary>
    /// Training: CutMix strength α; λ ~ Beta(α, α) sets the area of a random box pasted from image N-1-i, and the label
    /// weight is corrected to the box's actual (clipped) area. 0 disables CutMix; null (default): automatic.
    /// </summary>
    public double? CutMixAlpha { get; set; }

    /// <summary>
    /// Training: probability that a batch is mixed at all when MixUp or CutMix is on (timm's <c>mix_prob</c>), in [0, 1]
    /// (default 1). An unmixed batch still gets soft (one-hot, smoothed) targets.
    /// </summary>
    public double MixProbability { get; set; } = 1.0;

    /// <summary>
    /// Training: when both MixUp and CutMix are on, the probability that a mixed batch uses CutMix rather than MixUp
    /// (timm's <c>switch_prob</c>), in [0, 1] (default 0.5).
    /// </summary>
    public double SwitchProbability { get; set; } = 0.5;

    /// <summary>
    /// Scoring: average the class probabilities of each image with those of four copies shifted by 1/16 of the input
    /// side (and of its mirror image when <see cref="HorizontalFlipProbability"/> is positive), default false. Costs 5–6
    /// forward passes per image; on small data from scratch it added about one point of accuracy (README, small data).
    /// Validation during training and the ONNX export score the single view.
    /// </summary>
    public bool TestTimeAugmentation { get; set; }

    /// <summary>True when MixUp or CutMix is on, so training targets are soft <c>[N, classes]</c> distributions.</summary>
    [JsonIgnore]
    public bool MixesBatches => MixUpAlpha > 0 || CutMixAlpha > 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first property whose value is invalid
    /// (null automatic values are valid).</summary>
    public void Validate()
    {
        if (ImageSize is { } size)
            Check.That(size is >= 1 and <= 4096, nameof(ImageSize), size, "must be between 1 and 4096 pixels");
        if (EvalImageSize is { } evalSize)
            Check.That(evalSize is >= 1 and <= 4096, nameof(EvalImageSize), evalSize, "must be between 1 and 4096 pixels");
        if (EvalCropFraction is { } crop)
            Check.That(crop > 0 && crop <= 1, nameof(EvalCropFraction), crop, "must be in (0, 1]");
        if (EvalResizeMode is { } resizeMode)
            Check.Defined(resizeMode, nameof(EvalResizeMode));
        if (Interpolation is { } interpolation)
            Check.Defined(interpolation, nameof(Interpolation));
        if (Mean is { } meanValues)
            Check.That(meanValues.Count == 3 && meanValues.All(double.IsFinite), nameof(Mean), string.Join(", ", meanValues),
                "must be three finite numbers (red, green, blue), or null for automatic");
        if (Std is { } stdValues)
            Check.That(stdValues.Count == 3 && stdValues.All(v => double.IsFinite(v) && v > 0), nameof(Std), string.Join(", ", stdValues),
                "must be three positive numbers (red, green, blue), or null for automatic");
        Check.AtLeast(MaxImagePixels, 1, nameof(MaxImagePixels));
        Check.That(MaxAspectRatio >= 1, nameof(MaxAspectRatio), MaxAspectRatio,
            "must be at least 1 (a square), or PositiveInfinity for no limit");
        if (CropScaleMin is { } scaleMin)
            Check.That(scaleMin > 0 && scaleMin <= 1, nameof(CropScaleMin), scaleMin, "must be in (0, 1]");
        Check.That(CropScaleMax >= (CropScaleMin ?? 0) && CropScaleMax <= 1 && CropScaleMax > 0, nameof(CropScaleMax), CropScaleMax,
            $"must be in [CropScaleMin ({CropScaleMin?.ToString() ?? "automatic"}), 1]");
        Check.Positive(CropRatioMin, nameof(CropRatioMin));
        Check.That(double.IsFinite(CropRatioMax) && CropRatioMax >= CropRatioMin, nameof(CropRatioMax), CropRatioMax,
            $"must be finite and at least CropRatioMin ({CropRatioMin})");
        if (HorizontalFlipProbability is { } flip)
            Check.Probability(flip, nameof(HorizontalFlipProbability));
        if (MixUpAlpha is { } mixUp)
            Check.NonNegative(mixUp, nameof(MixUpAlpha), "off");
        if (CutMixAlpha is { } cutMix)
            Check.NonNegative(cutMix, nameof(CutMixAlpha), "off");
        Check.Probability(MixProbability, nameof(MixProbability));
        Check.Probability(SwitchProbability, nameof(SwitchProbability));
    }

    /// <summary>The training resolution; throws when it is still automatic.</summary>
    internal int TrainingSize => ImageSize ?? throw Unresolved(nameof(ImageSize));

    /// <summary>The scoring resolution.</summary>
    internal int ScoringSize => EvalImageSize ?? TrainingSize;

    /// <summary>The evaluation crop fraction in use (<see cref="DefaultEvalCropFraction"/> for null).</summary>
    internal double ResolvedEvalCropFraction => EvalCropFraction ?? DefaultEvalCropFraction;

    /// <summary>The evaluation resize mode in use (shorter side for null).</summary>
    internal EvalResizeMode ResolvedEvalResizeMode => EvalResizeMode ?? NFNet.EvalResizeMode.ShorterSide;

    /// <summary>The resampling filter in use (bicubic for null).</summary>
    internal ImageInterpolation ResolvedInterpolation => Interpolation ?? ImageInterpolation.Bicubic;

    /// <summary>The per-channel mean in use (red, green, blue; ImageNet's for a null).</summary>
    internal (double Red, double Green, double Blue) ResolvedMean => Triple(Mean ?? ImageNetMean);

    /// <summary>The per-channel standard deviation in use (red, green, blue; ImageNet's for a null).</summary>
    internal (double Red, double Green, double Blue) ResolvedStd => Triple(Std ?? ImageNetStd);

    private static (double, double, double) Triple(IReadOnlyList<double> values) => (values[0], values[1], values[2]);

    /// <summary>A copy that shares nothing mutable with this one.</summary>
    internal ImagePreprocessingOptions Copy() => this with { };

    /// <summary>Reads options saved as JSON (a model file, an <c>ExportTimm</c> config). Files written before
    /// <see cref="Mean"/> and <see cref="Std"/> were lists hold six numbers, <c>MeanRed</c> … <c>StdBlue</c>; they are
    /// read as the lists (a missing channel: ImageNet's value).</summary>
    internal static ImagePreprocessingOptions FromJson(JsonNode node, JsonSerializerOptions json)
    {
        if (node is JsonObject fields)
        {
            MoveLegacyChannels(fields, nameof(Mean), ImageNetMean);
            MoveLegacyChannels(fields, nameof(Std), ImageNetStd);
        }
        return node.Deserialize<ImagePreprocessingOptions>(json) ?? throw new JsonException("The preprocessing JSON is null.");
    }

    private static void MoveLegacyChannels(JsonObject fields, string name, IReadOnlyList<double> defaults)
    {
        string[] legacy = [name + "Red", name + "Green", name + "Blue"];
        if (!legacy.Any(fields.ContainsKey))
            return;
        var values = new JsonArray();
        for (var i = 0; i < 3; i++)
        {
            values.Add(fields[legacy[i]] is JsonValue value ? value.GetValue<double>() : defaults[i]);
            fields.Remove(legacy[i]);
        }
        fields[name] ??= values;
    }

    /// <summary>These options with every null evaluation and normalisation setting replaced by its ImageNet default, so
    /// a saved model states the values it scores with.</summary>
    internal ImagePreprocessingOptions WithEvaluationDefaults()
    {
        return this with
        {
            EvalCropFraction = ResolvedEvalCropFraction,
            EvalResizeMode = ResolvedEvalResizeMode,
            Interpolation = ResolvedInterpolation,
            Mean = Mean ?? ImageNetMean,
            Std = Std ?? ImageNetStd,
        };
    }

    internal double ResolvedCropScaleMin => CropScaleMin ?? throw Unresolved(nameof(CropScaleMin));

    internal double ResolvedFlipProbability => HorizontalFlipProbability ?? throw Unresolved(nameof(HorizontalFlipProbability));

    internal double ResolvedMixUpAlpha => MixUpAlpha ?? throw Unresolved(nameof(MixUpAlpha));

    internal double ResolvedCutMixAlpha => CutMixAlpha ?? throw Unresolved(nameof(CutMixAlpha));

    /// <summary>The names of the properties that are still automatic (null).</summary>
    internal IEnumerable<string> AutomaticProperties()
    {
        if (ImageSize is null) yield return nameof(ImageSize);
        if (CropScaleMin is null) yield return nameof(CropScaleMin);
        if (HorizontalFlipProbability is null) yield return nameof(HorizontalFlipProbability);
        if (MixUpAlpha is null) yield return nameof(MixUpAlpha);
        if (CutMixAlpha is null) yield return nameof(CutMixAlpha);
    }

    private static InvalidOperationException Unresolved(string property) => new(
        $"{nameof(ImagePreprocessingOptions)}.{property} is null (automatic: the training engine chooses it from the " +
        "data). Set it to build batches directly with ImageBatcher.");
}

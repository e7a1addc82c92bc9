using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// How to turn an image into the exported model's input, as stored in its metadata under
/// <see cref="NFNetOnnxMetadata.PreprocessingKey"/> (JSON with snake_case names, readable from any language):
/// decode to RGB, resize (<see cref="ResizeMode"/> to <see cref="ResizeSize"/>, <see cref="Interpolation"/>, antialiased
/// when downscaling), centre-crop <see cref="ImageSize"/>, scale to 0..1 by dividing by 255, subtract
/// <see cref="Mean"/> and divide by <see cref="Std"/> per channel, lay out as NCHW float32.
/// </summary>
internal sealed record NFNetOnnxPreprocessing
{
    /// <summary>Side of the square centre crop, in pixels.</summary>
    [JsonPropertyName("image_size")]
    public int ImageSize { get; init; }

    /// <summary>Input height of the graph in pixels (null when <see cref="DynamicImageSize"/>).</summary>
    [JsonPropertyName("input_height")]
    public int? InputHeight { get; init; }

    /// <summary>Input width of the graph in pixels (null when <see cref="DynamicImageSize"/>).</summary>
    [JsonPropertyName("input_width")]
    public int? InputWidth { get; init; }

    /// <summary>Whether the graph accepts any height and width.</summary>
    [JsonPropertyName("dynamic_image_size")]
    public bool DynamicImageSize { get; init; }

    /// <summary><c>shorter_side</c> (keep the aspect ratio: the shorter side becomes <see cref="ResizeSize"/>) or
    /// <c>squash</c> (both sides become <see cref="ResizeSize"/>).</summary>
    [JsonPropertyName("resize_mode")]
    public string ResizeMode { get; init; } = "shorter_side";

    /// <summary>The resize target before the crop: <c>floor(image_size / crop_fraction)</c>.</summary>
    [JsonPropertyName("resize_size")]
    public int ResizeSize { get; init; }

    /// <summary>timm's <c>crop_pct</c>: the centre crop as a fraction of the resized image, in (0, 1].</summary>
    [JsonPropertyName("crop_fraction")]
    public double CropFraction { get; init; }

    /// <summary><c>bicubic</c> (Keys a = −0.5, as PIL) or <c>bilinear</c>; antialiased when downscaling.</summary>
    [JsonPropertyName("interpolation")]
    public string Interpolation { get; init; } = "bicubic";

    /// <summary>Per-channel mean (R, G, B) on the 0..1 scale.</summary>
    [JsonPropertyName("mean")]
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviation (R, G, B) on the 0..1 scale.</summary>
    [JsonPropertyName("std")]
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>Pixels are divided by this before normalisation (255).</summary>
    [JsonPropertyName("pixel_scale")]
    public double PixelScale { get; init; } = 255;

    /// <summary>Channel order of the input (<c>RGB</c>).</summary>
    [JsonPropertyName("channel_order")]
    public string ChannelOrder { get; init; } = "RGB";

    /// <summary>Memory layout of the input (<c>NCHW</c>).</summary>
    [JsonPropertyName("layout")]
    public string Layout { get; init; } = "NCHW";

    /// <summary>Builds the record from this library's preprocessing options and the graph's input size.</summary>
    public static NFNetOnnxPreprocessing From(ImagePreprocessingOptions options, int? inputHeight, int? inputWidth)
    {
        ArgumentNullException.ThrowIfNull(options);
        var size = options.ScoringSize;
        var (mean, std) = (options.ResolvedMean, options.ResolvedStd);
        return new NFNetOnnxPreprocessing
        {
            ImageSize = size,
            InputHeight = inputHeight,
            InputWidth = inputWidth,
            DynamicImageSize = inputHeight is null,
            ResizeMode = options.ResolvedEvalResizeMode == EvalResizeMode.Squash ? "squash" : "shorter_side",
            ResizeSize = (int)Math.Floor(size / options.ResolvedEvalCropFraction),
            CropFraction = options.ResolvedEvalCropFraction,
            Interpolation = options.ResolvedInterpolation == ImageInterpolation.Bilinear ? "bilinear" : "bicubic",
            Mean = [mean.Red, mean.Green, mean.Blue],
            Std = [std.Red, std.Green, std.Blue],
        };
    }

    /// <summary>
    /// This library's evaluation preprocessing options for the record (training-only settings at their defaults), e.g.
    /// to preprocess with <see cref="ImageBatcher"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The record has a resize mode, interpolation or channel statistics this
    /// library does not know.</exception>
    public ImagePreprocessingOptions ToImagePreprocessingOptions()
    {
        if (Mean is not { Count: 3 } || Std is not { Count: 3 })
            throw new InvalidDataException($"ONNX preprocessing metadata needs three mean and three std values; got {Mean?.Count ?? 0} and {Std?.Count ?? 0}.");
        var options = new ImagePreprocessingOptions
        {
            ImageSize = ImageSize,
            EvalCropFraction = CropFraction,
            EvalResizeMode = ResizeMode switch
            {
                "shorter_side" => EvalResizeMode.ShorterSide,
                "squash" => EvalResizeMode.Squash,
                _ => throw new InvalidDataException($"Unknown resize_mode '{ResizeMode}' in the ONNX preprocessing metadata (expected shorter_side or squash)."),
            },
            Interpolation = Interpolation switch
            {
                "bicubic" => ImageInterpolation.Bicubic,
                "bilinear" => ImageInterpolation.Bilinear,
                _ => throw new InvalidDataException($"Unknown interpolation '{Interpolation}' in the ONNX preprocessing metadata (expected bicubic or bilinear)."),
            },
            Mean = Mean,
            Std = Std,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"The ONNX preprocessing metadata is out of range: {e.Message}", e);
        }
        return options;
    }
}

using System.Globalization;

namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>
/// The pixel limit of the server: the largest width × height an upload may declare. A model looks at an image only
/// after resizing it to a side of S pixels (<c>EvalImageSize / EvalCropFraction</c>), so pixels far beyond that cost
/// memory and time and change nothing it sees.
/// </summary>
/// <remarks>
/// Unless <see cref="ServingOptions.MaxImagePixels"/> sets it, the limit is (16 × S)², but at least
/// <see cref="Floor"/> (4,096², so that a 12-megapixel phone photo needs no resizing for a small model) and at most the
/// model's own <c>MaxImagePixels</c>: 16.8 megapixels for a model that scores at 224 pixels or less instead of the
/// library's 64 megapixels, which a 182 KB PNG can claim.
/// </remarks>
/// <param name="Pixels">Largest accepted width × height.</param>
/// <param name="Explanation">Where the number comes from, for error messages.</param>
public sealed record ServingPixelLimit(long Pixels, string Explanation)
{
    /// <summary>Linear factor over the model's resize side S.</summary>
    public const int ResizeFactor = 16;

    /// <summary>The derived limit is never below 4,096 × 4,096 pixels.</summary>
    public const long Floor = 4096L * 4096;

    /// <summary>The configured limit, else the one derived from <paramref name="preprocessing"/> (the model's; null when
    /// the model has no NFNet stage to say, then <see cref="Floor"/>).</summary>
    public static ServingPixelLimit For(long? configured, ImagePreprocessingOptions? preprocessing)
    {
        if (configured is { } pixels)
            return new(pixels, $"{nameof(ServingOptions.MaxImagePixels)}, as configured");
        if (preprocessing is null)
            return new(Floor, $"{nameof(ServingOptions.MaxImagePixels)}: 4,096², the default for a model of unknown input size");
        var side = ResizeSide(preprocessing);
        var derived = Math.Max(Floor, (long)ResizeFactor * side * ResizeFactor * side);
        var limit = Math.Min(derived, preprocessing.MaxImagePixels);
        return new(limit, string.Create(CultureInfo.InvariantCulture,
            $"{nameof(ServingOptions.MaxImagePixels)}: the larger of 4,096² and (16 × the model's {side}-pixel resize)², " +
            $"at most the model's own {preprocessing.MaxImagePixels:N0}"));
    }

    // The side the evaluation resize gives the image before the centre crop (torchvision: floor(size / crop_pct)).
    private static long ResizeSide(ImagePreprocessingOptions preprocessing)
    {
        var size = preprocessing.EvalImageSize ?? preprocessing.ImageSize ?? 224;
        var crop = preprocessing.EvalCropFraction ?? ImagePreprocessingOptions.DefaultEvalCropFraction;
        return (long)Math.Floor(size / crop);
    }
}

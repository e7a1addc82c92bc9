namespace Microsoft.ML.NFNet;

/// <summary>
/// The one check every decoder runs on the dimensions its header declares, before it allocates pixels: a header can
/// claim any size (a decompression bomb) or any shape (a 1,000,000 × 1 strip), so nothing is allocated until the size
/// is known to be sane.
/// </summary>
/// <param name="MaxPixels">Largest accepted width × height (<see cref="ImagePreprocessingOptions.MaxImagePixels"/>).</param>
/// <param name="MaxAspectRatio">Largest accepted long side / short side
/// (<see cref="ImagePreprocessingOptions.MaxAspectRatio"/>); <see cref="double.PositiveInfinity"/> for none.</param>
internal readonly record struct ImageSizeLimit(long MaxPixels, double MaxAspectRatio)
{
    private const int DecodedBytesPerPixel = 4;

    /// <summary>The limits an options record sets.</summary>
    public static ImageSizeLimit Of(ImagePreprocessingOptions options) => new(options.MaxImagePixels, options.MaxAspectRatio);

    /// <summary>A pixel limit with the default aspect-ratio limit.</summary>
    public static ImageSizeLimit Pixels(long maxPixels) => new(maxPixels, ImagePreprocessingOptions.DefaultMaxAspectRatio);

    /// <summary>Throws when the declared size is empty, over <see cref="MaxPixels"/>, more elongated than
    /// <see cref="MaxAspectRatio"/>, or too large for one buffer.</summary>
    /// <exception cref="InvalidImageException">The size is not acceptable.</exception>
    public void ThrowIfUnacceptable(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidImageException(
                $"The image header declares {width:N0}×{height:N0} pixels: an image needs a width and a height of at least 1. " +
                "The file is corrupt.");
        var pixelCount = (long)width * height;
        if (pixelCount > MaxPixels)
            throw new InvalidImageException(
                $"The image is {width:N0}×{height:N0} = {pixelCount:N0} pixels, more than the limit of {MaxPixels:N0} " +
                $"({nameof(ImagePreprocessingOptions)}.{nameof(ImagePreprocessingOptions.MaxImagePixels)}). " +
                "Downscale it first, or raise the limit if the image is genuine.");
        var aspectRatio = (double)Math.Max(width, height) / Math.Min(width, height);
        if (aspectRatio > MaxAspectRatio)
            throw new InvalidImageException(
                $"The image is {width:N0}×{height:N0} pixels, an aspect ratio of {aspectRatio:0.#}:1, more than the limit of " +
                $"{MaxAspectRatio:0.#}:1 ({nameof(ImagePreprocessingOptions)}.{nameof(ImagePreprocessingOptions.MaxAspectRatio)}): " +
                "a strip this thin cannot be resized into a square network input sensibly. Crop or pad it first, or raise " +
                "the limit if such images are genuine.");
        if (pixelCount * DecodedBytesPerPixel > Array.MaxLength)
            throw new InvalidImageException($"The image is {width:N0}×{height:N0} pixels, too large to decode in one buffer.");
    }
}

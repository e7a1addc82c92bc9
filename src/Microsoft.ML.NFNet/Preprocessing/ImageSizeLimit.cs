using Microsoft.ML.NFNet;

namespace Microsoft.ML.NFNet.Preprocessing;

/// <summary>
/// The one check every decoder runs on the dimensions its header declares, before it allocates pixels: a header can
/// claim any size (a decompression bomb), so nothing is allocated until the size is known to be sane.
/// </summary>
internal static class ImageSizeLimit
{
    private const int DecodedBytesPerPixel = 4;

    /// <summary>Throws when the declared size is empty, over <paramref name="maxPixels"/>, or too large for one buffer.</summary>
    /// <exception cref="InvalidImageException">The size is not acceptable.</exception>
    public static void ThrowIfUnacceptable(long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidImageException(
                $"The image header declares {width:N0}×{height:N0} pixels: an image needs a width and a height of at least 1. " +
                "The file is corrupt.");
        var pixelCount = (Int128)width * height; // two 32-bit dimensions (QOI's) overflow a long
        if (pixelCount > maxPixels)
            throw new InvalidImageException(
                $"The image is {width:N0}×{height:N0} = {pixelCount:N0} pixels, more than the limit of {maxPixels:N0} " +
                $"({nameof(ImagePreprocessingOptions)}.{nameof(ImagePreprocessingOptions.MaxImagePixels)}). " +
                "Downscale it first, or raise the limit if the image is genuine.");
        if (pixelCount * DecodedBytesPerPixel > Array.MaxLength)
            throw new InvalidImageException($"The image is {width:N0}×{height:N0} pixels, too large to decode in one buffer.");
    }
}

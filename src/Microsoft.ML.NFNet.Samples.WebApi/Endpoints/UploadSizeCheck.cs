using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// The server's pixel limit, applied to the size each upload's header declares before the image reaches a decoder or a
/// scoring slot: a 182 KB PNG can declare 62 megapixels (250 MB decoded), and is refused here in a millisecond.
/// </summary>
public static class UploadSizeCheck
{
    /// <summary>Null when every image's header is readable and within <paramref name="limit"/>; else what is wrong,
    /// naming the image.</summary>
    public static string? Problem(IReadOnlyList<UploadedImage> images, ServingPixelLimit limit)
    {
        foreach (var image in images)
        {
            (long Width, long Height) size;
            try
            {
                size = ImagePreprocessingOptions.ReadImageSize(image.Bytes);
            }
            catch (InvalidImageException e)
            {
                return $"{image.Description} cannot be classified: {e.Message}";
            }
            var pixels = (Int128)size.Width * size.Height;
            if (pixels > limit.Pixels)
                return $"{image.Description} is {size.Width:N0}×{size.Height:N0} = {pixels:N0} pixels, more than this " +
                       $"server accepts: {limit.Pixels:N0} ({limit.Explanation}). Downscale it (the model sees only a small " +
                       "resized copy), or start the server with a higher --MaxImagePixels.";
        }
        return null;
    }
}

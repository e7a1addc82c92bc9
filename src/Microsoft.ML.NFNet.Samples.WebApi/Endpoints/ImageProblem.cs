using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// What a 400 says about an image the model cannot classify. The decoder's message is written for whoever configures
/// the model: over a size limit, it names the preprocessing option that sets it. An HTTP client can only change the
/// image it sends, so a limit is stated as this server's and the remedy is about the request.
/// </summary>
public static partial class ImageProblem
{
    public static string Describe(UploadedImage image, InvalidImageException error, ImagePreprocessingOptions? limits)
    {
        var size = DeclaredSize().Match(error.Message) is { Success: true } match ? $" ({match.Groups["size"].Value})" : "";
        if (error.Message.Contains(nameof(ImagePreprocessingOptions.MaxImagePixels), StringComparison.Ordinal))
            return $"{image.Description} has more pixels than this server accepts{size}" +
                   (limits is null ? "" : string.Create(CultureInfo.InvariantCulture, $": at most {limits.MaxImagePixels:N0} pixels per image")) +
                   ". Downscale the image and send it again.";
        if (error.Message.Contains(nameof(ImagePreprocessingOptions.MaxAspectRatio), StringComparison.Ordinal))
            return $"{image.Description} is more elongated than this server accepts{size}" +
                   (limits is null ? "" : string.Create(CultureInfo.InvariantCulture, $": at most {limits.MaxAspectRatio:0.#}:1")) +
                   ". Crop or pad the image to a less elongated shape and send it again.";
        return $"{image.Description} cannot be classified: {error.Message}";
    }

    // "10,000×10,000 = 100,000,000 pixels" or "1×1,000,000 pixels", as the decoder's message states the header's size.
    [GeneratedRegex(@"(?<size>[\d,.]+×[\d,.]+(?: = [\d,.]+)? pixels)")]
    private static partial Regex DeclaredSize();
}

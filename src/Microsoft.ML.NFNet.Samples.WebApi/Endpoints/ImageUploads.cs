using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// Reads the images of a <c>POST /predict</c>: every file of a <c>multipart/form-data</c> body, or the whole body when its
/// content type is <c>image/*</c> or <c>application/octet-stream</c>. Size limits are Kestrel's and the form options'
/// (set from <see cref="ServingOptions"/>); what the bytes contain is left to the decoder.
/// </summary>
public static class ImageUploads
{
    /// <summary>Reads the uploaded images, in request order.</summary>
    /// <exception cref="UploadRejectedException">No image, too many, a body over the limit, or a content type that
    /// carries no image.</exception>
    public static async Task<IReadOnlyList<UploadedImage>> ReadAsync(HttpRequest request, ServingOptions options,
        CancellationToken cancellationToken)
    {
        try
        {
            return request.HasFormContentType
                ? await ReadFormFilesAsync(request, options, cancellationToken)
                : [await ReadRawBodyAsync(request, cancellationToken)];
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new UploadRejectedException(e.StatusCode,
                $"The request body is larger than the limit of {options.MaxRequestBodyBytes:N0} bytes " +
                $"({nameof(ServingOptions.MaxRequestBodyBytes)}). Send a smaller image.");
        }
        catch (BadHttpRequestException e)
        {
            throw new UploadRejectedException(e.StatusCode, $"The request body could not be read: {e.Message}");
        }
    }

    private static async Task<IReadOnlyList<UploadedImage>> ReadFormFilesAsync(HttpRequest request, ServingOptions options,
        CancellationToken cancellationToken)
    {
        if (!request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new UploadRejectedException(StatusCodes.Status415UnsupportedMediaType,
                "A URL-encoded form carries no file. Send the images as multipart/form-data files (curl -F image=@photo.jpg).");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"The multipart body is malformed: {e.Message}");
        }

        if (form.Files.Count == 0)
            throw new UploadRejectedException(StatusCodes.Status400BadRequest,
                "The multipart form has no file. Send each image as a file part (curl -F image=@photo.jpg).");
        if (form.Files.Count > options.MaxImagesPerRequest)
            throw new UploadRejectedException(StatusCodes.Status400BadRequest,
                $"The request has {form.Files.Count} files; at most {options.MaxImagesPerRequest} are accepted " +
                $"({nameof(ServingOptions.MaxImagesPerRequest)}). Split it into several requests.");

        var images = new List<UploadedImage>(form.Files.Count);
        foreach (var file in form.Files)
        {
            var image = new UploadedImage(file.FileName, new byte[file.Length]);
            if (image.Bytes.Length == 0)
                throw new UploadRejectedException(StatusCodes.Status400BadRequest, $"{image.Description} is empty (zero bytes).");
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(image.Bytes, cancellationToken);
            images.Add(image);
        }
        return images;
    }

    private static async Task<UploadedImage> ReadRawBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
            throw EmptyBody();
        if (!CarriesAnImage(request.ContentType))
            throw new UploadRejectedException(StatusCodes.Status415UnsupportedMediaType,
                $"The content type '{request.ContentType ?? "(none)"}' carries no image. Send the image with " +
                "Content-Type image/jpeg, image/png, ... or application/octet-stream, or as multipart/form-data files.");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        if (body.Length == 0)
            throw EmptyBody();
        return new UploadedImage(null, body.ToArray());
    }

    private static UploadRejectedException EmptyBody() => new(StatusCodes.Status400BadRequest,
        "The request body is empty. Send the image bytes as the body (Content-Type image/jpeg, image/png, ... or " +
        "application/octet-stream), or as multipart/form-data files.");

    private static bool CarriesAnImage(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && (mediaType.Type.Equals("image", StringComparison.OrdinalIgnoreCase)
            || mediaType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase));
}

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>One uploaded file, not yet decoded.</summary>
/// <param name="FileName">The multipart file name, or null for a raw-body upload.</param>
/// <param name="Bytes">The encoded image, as sent.</param>
public sealed record UploadedImage(string? FileName, byte[] Bytes)
{
    /// <summary>How error messages name the image.</summary>
    public string Description => FileName is null ? "The uploaded image" : $"The file '{FileName}'";
}

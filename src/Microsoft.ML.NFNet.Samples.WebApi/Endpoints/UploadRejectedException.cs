namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>A request whose upload cannot be read; becomes a problem response with <see cref="StatusCode"/>.</summary>
public sealed class UploadRejectedException(int statusCode, string message) : Exception(message)
{
    /// <summary>The HTTP status to answer with (400, 413 or 415).</summary>
    public int StatusCode { get; } = statusCode;
}

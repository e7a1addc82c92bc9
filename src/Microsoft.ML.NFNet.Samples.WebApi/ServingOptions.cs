namespace Microsoft.ML.NFNet.Samples.WebApi;

/// <summary>
/// The server's settings, read from the configuration root: command line (<c>--model model.zip</c>), environment
/// variables or appsettings.json.
/// </summary>
public sealed class ServingOptions
{
    /// <summary>The model zip to serve (saved with <c>mlContext.Model.Save</c>). Required.</summary>
    public string? Model { get; set; }

    /// <summary>Largest request body Kestrel accepts, raw or multipart (default 16 MiB); larger requests get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most image files in one multipart request (default 16).</summary>
    public int MaxImagesPerRequest { get; set; } = 16;

    /// <summary>Checks the values, naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (MaxRequestBodyBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "must be at least 1 byte");
        if (MaxImagesPerRequest < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxImagesPerRequest), MaxImagesPerRequest, "must be at least 1");
    }
}

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

    /// <summary>Most image files in one multipart request (default 8): a request scores its images one after another in
    /// one scoring slot (<see cref="MaxConcurrentScoring"/>), so this bounds how long it holds the slot.</summary>
    public int MaxImagesPerRequest { get; set; } = 8;

    /// <summary>
    /// Largest width × height an uploaded image may declare in its header; larger ones get 400 before any pixel is
    /// decoded. Null (default): derived from the model, see <see cref="WebApi.Model.ServingPixelLimit"/>.
    /// </summary>
    public long? MaxImagePixels { get; set; }

    /// <summary>Requests that decode and score at the same time (default: the number of cores, at most 4). Each holds
    /// at most one decoded image, so this times the pixel limit bounds the memory of decoding.</summary>
    public int MaxConcurrentScoring { get; set; } = Math.Min(Environment.ProcessorCount, 4);

    /// <summary>How long a request waits for a scoring slot before it gets 503 with <c>Retry-After</c> (default 2 s).</summary>
    public double ScoringQueueTimeoutSeconds { get; set; } = 2;

    /// <summary>Checks the values, naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (MaxRequestBodyBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "must be at least 1 byte");
        if (MaxImagesPerRequest < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxImagesPerRequest), MaxImagesPerRequest, "must be at least 1");
        if (MaxImagePixels < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxImagePixels), MaxImagePixels, "must be at least 1 pixel");
        if (MaxConcurrentScoring < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentScoring), MaxConcurrentScoring, "must be at least 1");
        if (!(ScoringQueueTimeoutSeconds is >= 0 and <= 3600))
            throw new ArgumentOutOfRangeException(nameof(ScoringQueueTimeoutSeconds), ScoringQueueTimeoutSeconds,
                "must be from 0 to 3,600 seconds");
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// A file could not be fetched from the Hugging Face hub or found in its cache. The message says what happened, which
/// URL was involved and what to do; nothing half-written is left under a final name in the cache.
/// </summary>
public class HubDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public HubDownloadException(string message, string url, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Url = url;
        StatusCode = statusCode;
    }

    /// <summary>
    /// The URL of the file (what to fetch by hand when the cache must be filled manually), without the endpoint's user
    /// name and password or a download link's query (its signature): like the message, it holds no secret.
    /// </summary>
    public string Url { get; }

    /// <summary>The HTTP status the server answered, when it answered one.</summary>
    public int? StatusCode { get; }

    /// <summary>True when retrying later may help (connection error, timeout, 408, 429, 5xx, a cut connection).</summary>
    internal bool IsTransient { get; init; }

    /// <summary>How long the server asked to wait before retrying (<c>Retry-After</c>), if it did.</summary>
    internal TimeSpan? RetryAfter { get; init; }
}

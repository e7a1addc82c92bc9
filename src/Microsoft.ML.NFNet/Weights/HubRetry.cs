namespace Microsoft.ML.NFNet;

/// <summary>Exponential backoff between retries of transient failures, honouring a server's <c>Retry-After</c>.</summary>
internal static class HubRetry
{
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromMinutes(1);

    /// <summary>The wait before retry number <paramref name="failures"/> (1-based).</summary>
    public static TimeSpan Delay(HubDownloadOptions options, int failures, HubDownloadException error)
    {
        var delay = options.InitialRetryDelay * Math.Pow(2, Math.Min(failures - 1, 30));
        if (delay > options.MaxRetryDelay)
            delay = options.MaxRetryDelay;
        if (error.RetryAfter is { } asked && asked > delay)
            delay = asked < LongestRetryAfter ? asked : LongestRetryAfter;
        return delay;
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// Settings of a Hugging Face hub download. Every property left null follows the environment variable that
/// huggingface_hub reads, so a machine set up for Python needs no configuration here.
/// </summary>
public sealed record HubDownloadOptions
{
    /// <summary>The hub's base URL; null reads <c>HF_ENDPOINT</c>, else <c>https://huggingface.co</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// The cache folder shared with huggingface_hub; null reads <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else
    /// <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Access token sent as <c>Authorization: Bearer</c> to the hub's own host only (never to a redirect target on another
    /// host). Null reads <c>HF_TOKEN</c>, else the token file huggingface_hub's login writes (<c>HF_TOKEN_PATH</c>, else
    /// <c>$HF_HOME/token</c>); an empty string sends no token.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>True: use the cache only and never touch the network. Null reads <c>HF_HUB_OFFLINE</c> (1, true, yes, on).</summary>
    public bool? Offline { get; set; }

    /// <summary>Receives the bytes done and the total while a file downloads (nothing when the file is cached).</summary>
    public IProgress<HubDownloadProgress>? Progress { get; set; }

    /// <summary>How many times a transient failure (connection error, timeout, HTTP 408, 429 or 5xx, a connection cut
    /// mid-file) is retried; the count restarts when a file grows past the furthest point it reached, and one file takes
    /// at most 10 × (MaxRetries + 1) requests in all. Default 5, as huggingface_hub.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Wait before the first retry; doubled after each (exponential backoff). Default 1 s.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between retries (a server's <c>Retry-After</c> may ask for more, up to a minute). Default 8 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Time allowed for the metadata (HEAD) request; null reads <c>HF_HUB_ETAG_TIMEOUT</c> (seconds), else 10 s.</summary>
    public TimeSpan? MetadataTimeout { get; set; }

    /// <summary>Longest wait for the next bytes of a download before it counts as a broken connection and is resumed;
    /// null reads <c>HF_HUB_DOWNLOAD_TIMEOUT</c> (seconds), else 10 s.</summary>
    public TimeSpan? ReadTimeout { get; set; }

    /// <summary>
    /// Longest wait for another process or thread that is downloading the same file (they share a lock file under
    /// <c>.locks/</c>, as huggingface_hub does). Default infinite: the wait ends when that download ends, or on cancellation.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first property whose value is invalid.</summary>
    public void Validate()
    {
        Require(MaxRetries >= 0, nameof(MaxRetries), MaxRetries, "must be zero or positive");
        Require(InitialRetryDelay >= TimeSpan.Zero, nameof(InitialRetryDelay), InitialRetryDelay, "must not be negative");
        Require(MaxRetryDelay >= InitialRetryDelay, nameof(MaxRetryDelay), MaxRetryDelay, "must be at least InitialRetryDelay");
        Require(MetadataTimeout is null || MetadataTimeout > TimeSpan.Zero, nameof(MetadataTimeout), MetadataTimeout, "must be positive");
        Require(ReadTimeout is null || ReadTimeout > TimeSpan.Zero, nameof(ReadTimeout), ReadTimeout, "must be positive");
        Require(LockTimeout == Timeout.InfiniteTimeSpan || LockTimeout >= TimeSpan.Zero, nameof(LockTimeout), LockTimeout,
            "must be zero or positive, or Timeout.InfiniteTimeSpan");
    }

    /// <summary>
    /// What <c>ToString()</c> shows (options end up in logs): the endpoint without its user name and password, and
    /// whether a token is set, never the token.
    /// </summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Endpoint = {(Endpoint is null ? "" : HubUrlRedaction.ForMessage(Endpoint))}, CacheDirectory = {CacheDirectory}, ")
            .Append($"Token = {(Token is null ? "" : Token.Length == 0 ? "(none)" : "(set, not shown)")}, Offline = {Offline}, ")
            .Append($"Progress = {Progress}, MaxRetries = {MaxRetries}, InitialRetryDelay = {InitialRetryDelay}, ")
            .Append($"MaxRetryDelay = {MaxRetryDelay}, MetadataTimeout = {MetadataTimeout}, ReadTimeout = {ReadTimeout}, ")
            .Append($"LockTimeout = {LockTimeout}");
        return true;
    }

    private static void Require(bool condition, string name, object? value, string rule)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(HubDownloadOptions)}.{name} {rule}.");
    }
}

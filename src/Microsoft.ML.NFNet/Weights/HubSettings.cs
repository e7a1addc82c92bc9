namespace Microsoft.ML.NFNet;

/// <summary>
/// <see cref="HubDownloadOptions"/> with every null filled from the environment, by huggingface_hub's rules
/// (its <c>constants.py</c> and <c>utils/_auth.py</c>), read once when a downloader is created.
/// </summary>
internal sealed record HubSettings
{
    public const string DefaultEndpoint = "https://huggingface.co";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public required Uri Endpoint { get; init; }
    public required string CacheDirectory { get; init; }

    /// <summary>Where <see cref="CacheDirectory"/> came from, for messages: an option, a variable, or the default.</summary>
    public required string CacheSource { get; init; }
    public string? Token { get; init; }
    public required string TokenSource { get; init; }
    public required bool Offline { get; init; }
    public required bool UseSymlinks { get; init; }
    public required TimeSpan MetadataTimeout { get; init; }
    public required TimeSpan ReadTimeout { get; init; }
    public required HubDownloadOptions Options { get; init; }

    /// <summary>For a debugger or a log: the endpoint without user info, the token's source but not the token.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Endpoint = {HubUrlRedaction.ForMessage(Endpoint)}, CacheDirectory = {CacheDirectory} ({CacheSource}), ")
            .Append($"Token = {(Token is null ? "(none)" : "(set, not shown)")} from {TokenSource}, Offline = {Offline}");
        return true;
    }

    /// <param name="options">Explicit settings; they win over the environment.</param>
    /// <param name="environment">Reads a variable (tests pass their own; null means the process environment).</param>
    public static HubSettings Resolve(HubDownloadOptions options, Func<string, string?>? environment = null)
    {
        options.Validate();
        var env = environment ?? Environment.GetEnvironmentVariable;
        string? Env(string name) => env(name) is { Length: > 0 } value ? value : null;

        var hfHome = ExpandHome(Env("HF_HOME")
            ?? Path.Combine(Env("XDG_CACHE_HOME") ?? Path.Combine(HomeDirectory(), ".cache"), "huggingface"));
        var (cache, cacheSource) = ResolveCache(options, Env, hfHome);
        var (token, tokenSource) = ResolveToken(options, Env, hfHome);
        return new HubSettings
        {
            Endpoint = ParseEndpoint(options.Endpoint ?? Env("HF_ENDPOINT") ?? DefaultEndpoint, options.Endpoint is null),
            CacheDirectory = Path.GetFullPath(ExpandHome(cache)),
            CacheSource = cacheSource,
            Token = token,
            TokenSource = tokenSource,
            Offline = options.Offline ?? (IsTrue(Env("HF_HUB_OFFLINE")) || IsTrue(Env("TRANSFORMERS_OFFLINE"))),
            UseSymlinks = !IsTrue(Env("HF_HUB_DISABLE_SYMLINKS")),
            MetadataTimeout = options.MetadataTimeout ?? Seconds(Env("HF_HUB_ETAG_TIMEOUT")) ?? DefaultTimeout,
            ReadTimeout = options.ReadTimeout ?? Seconds(Env("HF_HUB_DOWNLOAD_TIMEOUT")) ?? DefaultTimeout,
            Options = options,
        };
    }

    private static (string Folder, string Source) ResolveCache(HubDownloadOptions options, Func<string, string?> env, string hfHome)
    {
        if (options.CacheDirectory is { } fromOptions)
            return (fromOptions, "set by HubDownloadOptions.CacheDirectory");
        if (env("HF_HUB_CACHE") is { } fromEnv)
            return (fromEnv, "set by HF_HUB_CACHE");
        if (env("HUGGINGFACE_HUB_CACHE") is { } legacy)
            return (legacy, "set by HUGGINGFACE_HUB_CACHE");
        var source = env("HF_HOME") is not null ? "HF_HOME/hub; HF_HUB_CACHE is not set"
            : env("XDG_CACHE_HOME") is not null ? "XDG_CACHE_HOME/huggingface/hub; HF_HUB_CACHE is not set"
            : "the default; HF_HUB_CACHE is not set";
        return (Path.Combine(hfHome, "hub"), source);
    }

    private static (string? Token, string Source) ResolveToken(HubDownloadOptions options, Func<string, string?> env, string hfHome)
    {
        if (options.Token is not null)
            return (Clean(options.Token), "HubDownloadOptions.Token");
        if (env("HF_TOKEN") is { } fromEnv)
            return (Clean(fromEnv), "HF_TOKEN");
        if (env("HUGGING_FACE_HUB_TOKEN") is { } legacy)
            return (Clean(legacy), "HUGGING_FACE_HUB_TOKEN");
        var tokenFile = ExpandHome(env("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token"));
        try
        {
            return File.Exists(tokenFile) ? (Clean(File.ReadAllText(tokenFile)), tokenFile) : (null, "none");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, "none");
        }
    }

    private static string? Clean(string token) => token.Replace("\r", "").Replace("\n", "").Trim() is { Length: > 0 } t ? t : null;

    private static Uri ParseEndpoint(string value, bool fromEnvironment)
    {
        if (Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        var source = fromEnvironment ? "HF_ENDPOINT" : "HubDownloadOptions.Endpoint";
        throw new ArgumentException($"{source} '{HubUrlRedaction.ForMessage(value)}' is not an absolute http(s) URL such as {DefaultEndpoint}.",
            nameof(HubDownloadOptions.Endpoint));
    }

    /// <summary>huggingface_hub's <c>_is_true</c>.</summary>
    private static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static TimeSpan? Seconds(string? value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : null;

    private static string HomeDirectory() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path) =>
        path == "~" ? HomeDirectory()
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(HomeDirectory(), path[2..])
        : path;
}

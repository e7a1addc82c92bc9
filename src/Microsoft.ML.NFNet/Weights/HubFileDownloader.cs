namespace Microsoft.ML.NFNet;

/// <summary>
/// Downloads files from Hugging Face hub model repositories into huggingface_hub's cache, following its conventions
/// (URL, cache layout, <c>HF_*</c> environment variables, lock files), so a file Python already fetched is reused and
/// one fetched here is reused by Python. Beyond huggingface_hub, which only checks the size, the sha256 of an LFS file
/// is checked against its etag while it downloads and, once per process, before a cached copy is used (a damaged one is
/// downloaded again); a broken download resumes where it stopped.
/// </summary>
/// <remarks>
/// A call first asks the hub (a HEAD) which commit the revision points at, as huggingface_hub does, and downloads only if
/// that commit's file is not cached; if the hub cannot be reached (or refuses the request), the cached file of the last
/// known commit is used. With <see cref="HubDownloadOptions.Offline"/> (or <c>HF_HUB_OFFLINE=1</c>) no request is made.
/// Instances are thread-safe; dispose them to release the HTTP connections.
/// </remarks>
internal sealed class HubFileDownloader : IDisposable
{
    /// <summary>The branch huggingface_hub downloads from by default.</summary>
    public const string DefaultRevision = "main";

    private readonly HubSettings settings;
    private readonly Lazy<HubHttp> http;

    /// <summary>Creates a downloader; the environment is read now (<see cref="HubDownloadOptions"/> says which variables).</summary>
    public HubFileDownloader(HubDownloadOptions? options = null)
        : this(HubSettings.Resolve(options ?? new HubDownloadOptions()))
    {
    }

    internal HubFileDownloader(HubSettings settings)
    {
        this.settings = settings;
        http = new Lazy<HubHttp>(() => new HubHttp(settings));
    }

    /// <summary>The cache folder in use (huggingface_hub's <c>HF_HUB_CACHE</c>).</summary>
    public string CacheDirectory => settings.CacheDirectory;

    /// <summary>Whether this downloader only reads the cache.</summary>
    public bool Offline => settings.Offline;

    /// <summary>
    /// The URL the file is fetched from: <c>{endpoint}/{repository}/resolve/{revision}/{fileName}</c>, without any user
    /// name or password of the endpoint, so that it can be shown and logged.
    /// </summary>
    public string GetUrl(string repository, string fileName, string revision = DefaultRevision) =>
        Reference(repository, fileName, revision).DisplayUrl;

    /// <summary>
    /// The cached copy of the file, or null; reads only the cache (<c>refs/{revision}</c>, then the snapshot). A copy
    /// whose blob no longer has the sha256 it is named by is not returned.
    /// </summary>
    public string? TryGetCached(string repository, string fileName, string revision = DefaultRevision)
    {
        var file = Reference(repository, fileName, revision);
        return new HubCache(settings.CacheDirectory, file).FindCached(revision);
    }

    /// <summary>Returns the local path of the file, downloading it first unless it is cached. Blocks until done.</summary>
    /// <exception cref="HubDownloadException">Not found, refused, unreachable with no cached copy, offline with no cached
    /// copy, or a download that failed its checks; the message names the URL and what to do.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; a partial download is kept (under a temporary name) and resumed next time.</exception>
    public string Download(string repository, string fileName, string revision = DefaultRevision, CancellationToken cancellationToken = default) =>
        DownloadAsync(repository, fileName, revision, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="Download"/>.</summary>
    public async Task<string> DownloadAsync(string repository, string fileName, string revision = DefaultRevision,
        CancellationToken cancellationToken = default)
    {
        var file = Reference(repository, fileName, revision);
        var cache = new HubCache(settings.CacheDirectory, file);
        if (HubFileReference.IsCommitHash(revision) && cache.FindCached(revision) is { } pinned)
            return pinned;
        if (settings.Offline)
            return cache.FindCached(revision, out var damage) ?? throw NotCachedOffline(file, cache, damage);

        HubFileMetadata metadata;
        try
        {
            metadata = await HubFileMetadata.FetchAsync(http.Value, file, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (HubDownloadException e) when (e.IsTransient || e.StatusCode is 401 or 403)
        {
            // As huggingface_hub: when the hub cannot be asked, the cached file of the last known commit stands in.
            if (cache.FindCached(revision) is { } cached)
                return cached;
            if (!e.IsTransient)
                throw;
            metadata = await FetchMetadataWithRetriesAsync(file, e, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            return await FetchIntoCacheAsync(file, cache, metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (HubCacheErrors.IsCacheFailure(e))
        {
            throw HubCacheErrors.Unusable(settings, file, e);
        }
    }

    /// <summary>Retries the HEAD with backoff after <paramref name="firstError"/>; throws the last failure, explained.</summary>
    private async Task<HubFileMetadata> FetchMetadataWithRetriesAsync(HubFileReference file, HubDownloadException firstError,
        CancellationToken cancellationToken)
    {
        var error = firstError;
        for (var failures = 1; failures <= settings.Options.MaxRetries; failures++)
        {
            await Task.Delay(HubRetry.Delay(settings.Options, failures, error), cancellationToken).ConfigureAwait(false);
            try
            {
                return await HubFileMetadata.FetchAsync(http.Value, file, settings, cancellationToken).ConfigureAwait(false);
            }
            catch (HubDownloadException e) when (e.IsTransient)
            {
                error = e;
            }
        }
        throw new HubDownloadException(
            $"Could not reach the hub for {file.Describe()} after {settings.Options.MaxRetries} retries ({error.Message}), and " +
            $"the cache {settings.CacheDirectory} has no copy. Check the network or proxy (HTTPS_PROXY), or download " +
            $"{file.DisplayUrl} by hand and use the local file.", error.Url, error.StatusCode, error);
    }

    private async Task<string> FetchIntoCacheAsync(HubFileReference file, HubCache cache, HubFileMetadata metadata,
        CancellationToken cancellationToken)
    {
        var snapshot = cache.SnapshotPath(metadata.Commit);
        if (!IsIntact(snapshot, metadata, cancellationToken))
        {
            var blob = cache.BlobPath(metadata.Etag);
            using var fileLock = await HubFileLock.AcquireAsync(cache.LockPath(metadata.Etag), settings.Options.LockTimeout,
                file.DisplayUrl, cancellationToken).ConfigureAwait(false);
            if (!IsIntact(snapshot, metadata, cancellationToken)) // another process or thread may have finished while this one waited
            {
                var newBlob = !IsIntact(blob, metadata, cancellationToken);
                if (newBlob)
                {
                    if (File.Exists(blob))
                        File.Delete(blob); // a damaged blob (a flipped bit, cut short) is downloaded again, never linked
                    await new HubBlobTransfer(http.Value, settings, file, metadata).DownloadAsync(blob, cancellationToken).ConfigureAwait(false);
                }
                HubCache.CreatePointer(blob, snapshot, newBlob, settings.UseSymlinks);
                if (newBlob && metadata.Sha256 is { } sha)
                    HubCachedFile.Remember(snapshot, sha); // hashed while it downloaded
            }
        }
        TryWriteRef(cache, file.Revision, metadata.Commit);
        return snapshot;
    }

    /// <summary>Present, of the announced size and, where the hub announced one, of the announced sha256.</summary>
    private static bool IsIntact(string path, HubFileMetadata metadata, CancellationToken cancellationToken) =>
        HubCache.IsUsableFile(path) && HubCachedFile.FindDamage(path, metadata.Size, metadata.Sha256, cancellationToken) is null;

    /// <summary>Best effort, as huggingface_hub: a read-only cache that already holds the file must still work.</summary>
    private static void TryWriteRef(HubCache cache, string revision, string commit)
    {
        try
        {
            cache.WriteRef(revision, commit);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private HubDownloadException NotCachedOffline(HubFileReference file, HubCache cache, string? damage)
    {
        var (reason, undo) = settings.Options.Offline == true
            ? ("HubDownloadOptions.Offline is true", "HubDownloadOptions.Offline = false")
            : ("HF_HUB_OFFLINE is set", "HF_HUB_OFFLINE unset");
        var state = damage is null
            ? $"{file.Describe()} is not in the cache ({cache.RepositoryFolder})"
            : $"the cached copy of {file.Describe()} in {cache.RepositoryFolder} is damaged ({damage}), so it is not used";
        if (File.Exists(settings.CacheDirectory))
            state += $"; the cache folder {settings.CacheDirectory} ({settings.CacheSource}) is a file, not a folder";
        return new HubDownloadException(
            $"{reason} (cache only, no network), and {state}. Download {file.DisplayUrl} by hand and use the local file, " +
            $"or run once with network access ({undo}) to fill the cache.", file.DisplayUrl);
    }

    private HubFileReference Reference(string repository, string fileName, string revision) =>
        HubFileReference.Create(settings.Endpoint, repository, fileName, revision);

    /// <inheritdoc />
    public void Dispose()
    {
        if (http.IsValueCreated)
            http.Value.Dispose();
    }
}

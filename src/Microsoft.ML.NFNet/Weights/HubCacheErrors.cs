namespace Microsoft.ML.NFNet;

/// <summary>Errors of the cache folder itself (not of the hub): which folder, where its path came from, what to do.</summary>
internal static class HubCacheErrors
{
    private const string WhereToPoint = "HF_HUB_CACHE (or HubDownloadOptions.CacheDirectory)";

    /// <summary>The folder cannot be created, written or read: a file in its place, no permission, a full disk.</summary>
    public static HubDownloadException Unusable(HubSettings settings, HubFileReference file, Exception error) => new(
        $"The Hugging Face hub cache folder {settings.CacheDirectory} ({settings.CacheSource}) cannot be used for " +
        $"{file.Describe()}: {error.Message} Point {WhereToPoint} at a folder this process can create and write, or fix " +
        "that folder (its permissions, a file in its way, free space).", file.DisplayUrl, innerException: error);

    public static bool IsCacheFailure(Exception error) =>
        error is UnauthorizedAccessException || (error is IOException && error is not HubDownloadException);

    /// <summary>The hub announced more bytes than the disk holding the cache has free.</summary>
    public static HubDownloadException NotEnoughSpace(HubSettings settings, HubFileReference file, string folder, long needed,
        long size, long free) => new(
        $"Not enough free disk space to download {file.Describe()}: the hub announces {size:N0} bytes, {needed:N0} more are " +
        $"needed, and the disk of {folder} has {free:N0} bytes free. Free some space, or point {WhereToPoint} (now " +
        $"{settings.CacheSource}) at a disk with room.", file.DisplayUrl);
}

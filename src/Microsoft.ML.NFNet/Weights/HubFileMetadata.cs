using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>
/// What a HEAD on <c>/resolve/</c> tells (huggingface_hub's <c>get_hf_file_metadata</c>): the commit the revision points
/// at (<c>X-Repo-Commit</c>), the content's etag (<c>X-Linked-Etag</c>, else <c>ETag</c>; for LFS files the sha256), its
/// size (<c>X-Linked-Size</c>, else <c>Content-Length</c>) and where to GET it (the redirect's <c>Location</c>, for LFS
/// files a CDN).
/// </summary>
internal sealed partial record HubFileMetadata(string Commit, string Etag, long Size, Uri Location)
{
    /// <summary>The sha256 of the content when the etag is one (LFS files), else null.</summary>
    public string? Sha256 => Sha256Pattern().IsMatch(Etag) ? Etag.ToLowerInvariant() : null;

    public static async Task<HubFileMetadata> FetchAsync(HubHttp http, HubFileReference file, HubSettings settings,
        CancellationToken cancellationToken)
    {
        // Only same-host redirects (a renamed repository) are followed; the CDN location is taken from the redirect.
        using var response = await http.SendAsync(HttpMethod.Head, file.Url, rangeStart: 0,
            (from, to) => HubHttp.SameAuthority(from, to), settings.MetadataTimeout, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var isRedirect = status is >= 300 and <= 399;
        if (!response.IsSuccessStatusCode && !isRedirect)
            throw HubErrors.FromResponse(response, file, settings, fromHub: true);

        var url = file.DisplayUrl;
        var commit = HubErrors.Header(response, "X-Repo-Commit")?.Trim().ToLowerInvariant();
        if (commit is null || !HubFileReference.IsCommitHash(commit))
            throw Invalid($"no valid X-Repo-Commit header ('{commit}')", url);
        var etag = Normalize(HubErrors.Header(response, "X-Linked-Etag") ?? HubErrors.Header(response, "ETag"));
        if (etag is null || !SafeEtagPattern().IsMatch(etag))
            throw Invalid($"no usable ETag ('{etag}')", url);
        var sizeText = HubErrors.Header(response, "X-Linked-Size");
        long? size = long.TryParse(sizeText, out var linked) ? linked : isRedirect ? null : response.Content.Headers.ContentLength;
        if (size is not >= 0)
            throw Invalid("no file size (X-Linked-Size or Content-Length)", url);
        var location = isRedirect && response.Headers.Location is { } target
            ? (target.IsAbsoluteUri ? target : new Uri(response.RequestMessage!.RequestUri!, target))
            : response.RequestMessage!.RequestUri!;
        return new HubFileMetadata(commit, etag, size.Value, location);
    }

    /// <summary>huggingface_hub's <c>_normalize_etag</c>: drop a weak-validator prefix and the quotes.</summary>
    public static string? Normalize(string? etag)
    {
        if (etag is null)
            return null;
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return value.Trim('"');
    }

    private static HubDownloadException Invalid(string what, string url) => new(
        $"The server at {url} answered without {what}, so it does not look like a Hugging Face hub; check HF_ENDPOINT " +
        "and any proxy or firewall between this machine and the hub.", url);

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();

    /// <summary>The etag becomes a file name under blobs/, so it may hold nothing that could leave that folder.</summary>
    [GeneratedRegex(@"^(?!\.{1,2}$)[A-Za-z0-9._\-]{1,128}$")]
    private static partial Regex SafeEtagPattern();
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// The published NFNet weights (timm's ImageNet-1k files on the Hugging Face hub) and their download, as
/// <c>timm.create_model(name, pretrained=True)</c> does: the first call downloads into huggingface_hub's cache, later
/// calls (and Python) reuse the file.
/// </summary>
public static class NFNetPretrained
{
    /// <summary>Every published weights file, one entry each.</summary>
    public static IReadOnlyList<NFNetPretrainedWeights> All => NFNetPretrainedCatalog.Entries;

    /// <summary>The entry named <paramref name="name"/> (case-insensitive), e.g. <c>eca_nfnet_l0.ra2_in1k</c>.</summary>
    /// <exception cref="ArgumentException">No published weights have that name; the message lists the known names.</exception>
    public static NFNetPretrainedWeights Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(w => string.Equals(w.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"No published NFNet weights are named '{name}'. Known names: {string.Join(", ", All.Select(w => w.Name))}.", nameof(name));
    }

    /// <summary>
    /// Returns the local path of the weights file (<c>model.safetensors</c> with timm's tensor names), downloading it
    /// from the hub first unless it is cached. Settings follow the <c>HF_*</c> environment variables (see
    /// <see cref="HubDownloadOptions"/>), or <paramref name="options"/> where given (progress, endpoint, cache, token…).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="HubDownloadException">The file could not be downloaded or found in the cache; the message says why
    /// and which URL to fetch by hand.</exception>
    public static string Download(string name, HubDownloadOptions? options = null, CancellationToken cancellationToken = default) =>
        DownloadAsync(name, options, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="Download"/>.</summary>
    public static async Task<string> DownloadAsync(string name, HubDownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var weights = Find(name);
        using var downloader = new HubFileDownloader(options);
        try
        {
            return await downloader.DownloadAsync(weights.HubRepository, weights.FileName, HubFileDownloader.DefaultRevision,
                cancellationToken).ConfigureAwait(false);
        }
        catch (HubDownloadException e)
        {
            throw new HubDownloadException($"Could not get the pretrained weights '{weights.Name}': {e.Message}", e.Url, e.StatusCode, e);
        }
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>How far a hub download has come.</summary>
/// <param name="Repository">The hub repository, e.g. <c>timm/eca_nfnet_l0.ra2_in1k</c>.</param>
/// <param name="FileName">The file in the repository, e.g. <c>model.safetensors</c>.</param>
/// <param name="BytesDownloaded">Bytes on disk so far, including those of a resumed earlier attempt.</param>
/// <param name="TotalBytes">The file's size as the hub announced it.</param>
public readonly record struct HubDownloadProgress(string Repository, string FileName, long BytesDownloaded, long TotalBytes)
{
    /// <summary>The fraction done, in [0, 1].</summary>
    public double Fraction => TotalBytes > 0 ? Math.Clamp((double)BytesDownloaded / TotalBytes, 0, 1) : 1;
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// How much training data a run keeps in memory before it moves it to a temp file, and where that file goes. Below the
/// budget nothing changes (memory is fastest); above it memory stays flat however large the data grows, and the
/// operating system's file cache keeps the file's pages in otherwise free memory, so reads rarely touch the disk.
/// </summary>
/// <param name="EncodedImageBytes">Encoded images read from an <c>IDataView</c> kept in memory; more go to a temp file.</param>
/// <param name="FeatureBytes">Head-only feature cache kept in memory (on the training device); more go to a temp file.</param>
/// <param name="Folder">Where temp files go; null: <see cref="Path.GetTempPath"/> (<c>TMPDIR</c> on Linux and macOS,
/// <c>TMP</c> on Windows).</param>
internal sealed record DataMemoryBudget(long EncodedImageBytes, long FeatureBytes, string? Folder = null)
{
    /// <summary>128 MiB of encoded images (about 2,500 photos of 50 KB): a small dataset, such as the sample's, stays
    /// in memory; a larger one costs no more memory than this.</summary>
    public const long DefaultEncodedImageBytes = 128L << 20;

    /// <summary>256 MiB of features (about 22,000 images of <c>dm_nfnet_f0</c>'s 3,072 features).</summary>
    public const long DefaultFeatureBytes = 256L << 20;

    /// <summary>The defaults.</summary>
    public static DataMemoryBudget Default { get; } = new(DefaultEncodedImageBytes, DefaultFeatureBytes);

    /// <summary>The folder temp files go to.</summary>
    public string TempFolder => Folder ?? Path.GetTempPath();
}

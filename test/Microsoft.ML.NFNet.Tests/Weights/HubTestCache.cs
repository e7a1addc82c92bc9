using System.Collections.Concurrent;
using TorchSharp;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>A throw-away cache folder per test, the weights file the fake hub serves, and options that reach only it.</summary>
internal sealed class HubTestCache : IDisposable
{
    public const string Name = "eca_nfnet_l0.ra2_in1k";
    public const string Repository = "timm/" + Name;
    public const string FileName = "model.safetensors";

    private static readonly Lazy<byte[]> Weights = new(WriteWeightsFile);

    public HubTestCache()
    {
        Directory = Path.Combine(Path.GetTempPath(), "nfnet-hub-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The cache root (what HF_HUB_CACHE would hold).</summary>
    public string Directory { get; }

    /// <summary>A real safetensors file (2.4 MB, one float32 tensor named <c>w</c>), as its bytes.</summary>
    public static byte[] WeightsBytes => Weights.Value;

    public string RepositoryFolder => Path.Combine(Directory, "models--timm--" + Name);

    public string SnapshotPath => Path.Combine(RepositoryFolder, "snapshots", FakeHub.Commit, FileName);

    public HubDownloadOptions Options(FakeHub hub, string token = "") => Options(hub.Endpoint.AbsoluteUri, token);

    /// <summary>Everything explicit, so no HF_* variable of the machine running the tests takes part.</summary>
    public HubDownloadOptions Options(string endpoint, string token = "") => new()
    {
        Endpoint = endpoint,
        CacheDirectory = Directory,
        Token = token,
        Offline = false,
        InitialRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        MetadataTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
    };

    public string BlobPath => Path.Combine(RepositoryFolder, "blobs", Sha256);

    /// <summary>The sha256 of <see cref="WeightsBytes"/>: the LFS etag, and the blob's name.</summary>
    public static string Sha256 => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(WeightsBytes));

    /// <summary>
    /// The layout huggingface_hub's hf_hub_download leaves (file_download.py: blob, relative symlink, ref without
    /// newline), with <paramref name="blob"/> (default: the weights) as the blob's content; returns the snapshot path.
    /// </summary>
    public string WritePythonStyleCache(byte[]? blob = null, bool withSnapshot = true)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(BlobPath)!);
        File.WriteAllBytes(BlobPath, blob ?? WeightsBytes);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(SnapshotPath)!);
        if (withSnapshot)
            File.CreateSymbolicLink(SnapshotPath, $"../../blobs/{Sha256}");
        System.IO.Directory.CreateDirectory(Path.Combine(RepositoryFolder, "refs"));
        File.WriteAllText(Path.Combine(RepositoryFolder, "refs", "main"), FakeHub.Commit);
        return SnapshotPath;
    }

    /// <summary>Every file under the cache, relative, with '/' separators (locks excluded).</summary>
    public string[] Files() => System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Directory, f).Replace('\\', '/'))
        .Where(f => !f.StartsWith(".locks/", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static byte[] WriteWeightsFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nfnet-hub-weights-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var w = torch.arange(600 * 1000, dtype: torch.float32).reshape(600, 1000).sin();
            Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = w });
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Records progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them later).</summary>
internal sealed class RecordingProgress : IProgress<HubDownloadProgress>
{
    public ConcurrentQueue<HubDownloadProgress> Reports { get; } = new();

    public Action<HubDownloadProgress>? OnReport { get; init; }

    public void Report(HubDownloadProgress value)
    {
        Reports.Enqueue(value);
        OnReport?.Invoke(value);
    }
}

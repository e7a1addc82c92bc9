namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// Problems of the cache folder itself, and of the disk under it, reported as such: which folder, which variable or
/// option set it, what to do; before any byte is downloaded where that can be known.
/// </summary>
[TestClass]
public sealed class HubCacheFolderTests
{
    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    [TestMethod]
    public async Task CacheThatIsAFileSaysSoAndNamesTheVariable()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var notAFolder = Path.Combine(cache.Directory, "hub-cache-file");
        File.WriteAllText(notAFolder, "not a folder");
        var environment = new Dictionary<string, string> { ["HF_HUB_CACHE"] = notAFolder };
        var options = cache.Options(hub) with { CacheDirectory = null };
        using var downloader = new HubFileDownloader(HubSettings.Resolve(options, n => environment.GetValueOrDefault(n)));

        var error = Assert.ThrowsExactly<HubDownloadException>(() => downloader.Download(HubTestCache.Repository, HubTestCache.FileName));

        StringAssert.Contains(error.Message, $"cache folder {notAFolder} (set by HF_HUB_CACHE) cannot be used");
        StringAssert.Contains(error.Message, "Point HF_HUB_CACHE (or HubDownloadOptions.CacheDirectory) at a folder");
        Assert.IsInstanceOfType<IOException>(error.InnerException, "the system's own error stays inside");
        Assert.AreEqual(0, hub.Gets.Count());
    }

    [TestMethod]
    public void OfflineWithACacheThatIsAFileSaysSo()
    {
        var notAFolder = Path.Combine(cache.Directory, "hub-cache-file");
        File.WriteAllText(notAFolder, "not a folder");
        var options = cache.Options("http://127.0.0.1:9") with { CacheDirectory = notAFolder, Offline = true };

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, options));

        StringAssert.Contains(error.Message, $"the cache folder {notAFolder} (set by HubDownloadOptions.CacheDirectory) is a file");
    }

    [TestMethod]
    public async Task ReadOnlyCacheSaysSoAndNamesTheOption()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var readOnly = ReadOnlyFolder();

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { CacheDirectory = readOnly }));

        StringAssert.Contains(error.Message, $"cache folder {readOnly} (set by HubDownloadOptions.CacheDirectory) cannot be used");
        StringAssert.Contains(error.Message, "can create and write");
        Assert.IsInstanceOfType<UnauthorizedAccessException>(error.InnerException?.InnerException ?? error.InnerException);
    }

    [TestMethod]
    public async Task FileLargerThanTheFreeDiskSpaceFailsBeforeAnyGet()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        const long TenTerabytes = 10_000_000_000_000;
        hub.AnnouncedSize = TenTerabytes;

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)));

        StringAssert.Contains(error.Message, "Not enough free disk space");
        StringAssert.Contains(error.Message, $"{TenTerabytes:N0} more are needed");
        StringAssert.Contains(error.Message, $"the disk of {Path.Combine(cache.RepositoryFolder, "blobs")} has ");
        StringAssert.Contains(error.Message, "bytes free");
        Assert.AreEqual(0, hub.Gets.Count(), "refused before the download");
        CollectionAssert.AreEqual(Array.Empty<string>(), cache.Files(), "no .incomplete");
    }

    /// <summary>
    /// A folder this process cannot write: mode 0555, or, for root (whom modes do not stop), one on Linux's read-only
    /// sysfs.
    /// </summary>
    private string ReadOnlyFolder()
    {
        if (OperatingSystem.IsWindows())
            Assert.Inconclusive("Needs Unix file modes.");
        if (!OperatingSystem.IsWindows() && !Environment.IsPrivilegedProcess)
        {
            var folder = Path.Combine(cache.Directory, "read-only");
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return folder;
        }
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("Running as root, and only Linux has a folder (sysfs) that root cannot write.");
        return "/sys/nfnet-hub-cache";
    }
}

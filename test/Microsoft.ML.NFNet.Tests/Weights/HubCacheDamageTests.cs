namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// A damaged blob in the cache (a flipped bit, cut short) is never returned: with the hub it is downloaded again; offline
/// or with the hub unreachable it is refused with a message that says so.
/// </summary>
[TestClass]
public sealed class HubCacheDamageTests
{
    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    [TestMethod]
    [DataRow("bit flip")]
    [DataRow("cut in half")]
    public async Task DamagedBlobWithoutItsSnapshotLinkIsDownloadedAgain(string damage)
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        cache.WritePythonStyleCache(Damaged(damage), withSnapshot: false);

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path), "the right bytes, not the damaged blob");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(cache.BlobPath), "the blob itself is replaced");
        Assert.AreEqual(1, hub.Gets.Count());
    }

    [TestMethod]
    public async Task DamagedBlobBehindItsSnapshotLinkIsDownloadedAgain()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        cache.WritePythonStyleCache(Damaged("bit flip"));

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        Assert.AreEqual(1, hub.Gets.Count());
    }

    [TestMethod]
    public async Task DamageAfterAVerifiedDownloadIsNoticedOnTheNextCall()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)); // hashed as it arrived: remembered for this process

        using (var blob = new FileStream(cache.BlobPath, FileMode.Open, FileAccess.ReadWrite))
        {
            blob.Position = blob.Length / 2;
            var value = blob.ReadByte();
            blob.Position--;
            blob.WriteByte((byte)(value ^ 0x10));
        }
        File.SetLastWriteTimeUtc(cache.BlobPath, DateTime.UtcNow.AddMinutes(1)); // a new time, whatever the clock's resolution

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        Assert.AreEqual(2, hub.Gets.Count(), "the changed file is hashed again, found damaged and downloaded again");
    }

    [TestMethod]
    public void DamagedCopyIsRefusedOfflineWithAMessageThatSaysSo()
    {
        cache.WritePythonStyleCache(Damaged("bit flip"));
        var options = cache.Options("http://127.0.0.1:9") with { Offline = true };

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, options));

        StringAssert.Contains(error.Message, "damaged");
        StringAssert.Contains(error.Message, $"not {HubTestCache.Sha256}", "the hash its name promises");
        StringAssert.Contains(error.Message, "Offline = false", "how to get a good copy");
        using var downloader = new HubFileDownloader(options);
        Assert.IsNull(downloader.TryGetCached(HubTestCache.Repository, HubTestCache.FileName));
    }

    [TestMethod]
    public void DamagedCopyIsNotUsedWhenTheHubIsUnreachable()
    {
        cache.WritePythonStyleCache(Damaged("cut in half"));
        var options = cache.Options($"http://127.0.0.1:{HubDownloadTests.ClosedPort()}") with { MaxRetries = 0 };

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, options));

        StringAssert.Contains(error.Message, "Could not reach the hub");
    }

    [TestMethod]
    public void IntactCopyIsStillUsedOffline()
    {
        var expected = cache.WritePythonStyleCache();

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options("http://127.0.0.1:9") with { Offline = true });

        Assert.AreEqual(expected, path);
    }

    private static byte[] Damaged(string damage)
    {
        var bytes = HubTestCache.WeightsBytes;
        if (damage == "cut in half")
            return bytes[..(bytes.Length / 2)];
        var flipped = (byte[])bytes.Clone();
        flipped[flipped.Length * 2 / 3] ^= 0x04;
        return flipped;
    }
}

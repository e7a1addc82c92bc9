namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// Odd answers to a resumed download, from a CDN on 127.0.0.1 (<see cref="FakeHub"/>), and foreign bytes in a partial
/// file: whatever the sequence, the download ends in the right file or a <see cref="HubDownloadException"/> within the
/// retry budget, and no byte is ever written at an offset the answer did not prove.
/// </summary>
[TestClass]
public sealed class HubRangeAnswerTests
{
    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    private string Incomplete => cache.BlobPath + ".incomplete";

    [TestMethod]
    [DataRow("none", DisplayName = "206 without Content-Range")]
    [DataRow("from zero", DisplayName = "206 whose Content-Range starts at byte 0, not at the byte asked for")]
    [DataRow("other total", DisplayName = "206 whose Content-Range gives another total size")]
    [DataRow("garbage", DisplayName = "206 with an unparsable Content-Range")]
    public async Task PartialContentThatDoesNotProveItsOffsetRestartsFromByteZero(string answer)
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(1);
        hub.ContentRangeFor = BadContentRange(answer);

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 2 });

        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path), "the right file");
        var ranges = hub.Gets.Select(g => g.Range ?? "whole").ToArray();
        Assert.AreEqual(3, ranges.Length, $"cut, refused resume, whole file: {string.Join(", ", ranges)}");
        Assert.AreEqual("whole", ranges[0]);
        Assert.AreNotEqual("whole", ranges[1], "the cut is resumed with Range");
        Assert.AreEqual("whole", ranges[2], "after a 206 that did not say where its bytes start: the whole file, no Range");
    }

    [TestMethod]
    public async Task ServerThatCutsEveryAnswerAndCannotResumeEndsWithinTheRetries()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(int.MaxValue);
        hub.ContentRangeFor = BadContentRange("none"); // the CDN of the report: 206 without Content-Range

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 2 }));

        StringAssert.Contains(error.Message, "Gave up");
        Assert.AreEqual(3, hub.Gets.Count(),
            "the first answer brings bytes; then MaxRetries + 1 answers that bring none past them (the count never reset)");
        var kept = File.ReadAllBytes(Incomplete);
        Assert.IsTrue(kept.Length > 0, "the last whole-file answer's bytes are kept");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes[..kept.Length], kept, "only bytes at their own offset were ever written");
    }

    [TestMethod]
    public async Task ServerThatSendsAFewBytesPerAnswerEndsWithinTheRequestCap()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(int.MaxValue);
        hub.CutAfterBytes = 64 * 1024; // each answer brings new bytes, so the failure count restarts every time

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 1 }));

        Assert.AreEqual(20, hub.Gets.Count(), "10 × (MaxRetries + 1) requests at most, although the file needs 37");
        StringAssert.Contains(error.Message, "20 requests");
        var kept = File.ReadAllBytes(Incomplete);
        Assert.AreEqual(20 * 64 * 1024, kept.Length, "what arrived is kept for the next call");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes[..kept.Length], kept);
    }

    [TestMethod]
    public async Task ForeignBytesInAPartialFileAreReplacedByOneFreshDownload()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        WriteForeignPartialFile();

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "bytes=4-", null }, hub.Gets.Select(g => g.Range).ToArray(),
            "the partial file is resumed; its hash fails; the file is fetched once more from byte 0");
        Assert.IsFalse(File.Exists(Incomplete));
    }

    [TestMethod]
    public async Task CorruptServerIsRejectedAfterTheOneFreshDownload()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var corrupt = (byte[])HubTestCache.WeightsBytes.Clone();
        corrupt[^1] ^= 1;
        hub.CorruptBody = corrupt;
        WriteForeignPartialFile();

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)));

        StringAssert.Contains(error.Message, sha);
        StringAssert.Contains(error.Message, "from byte 0");
        Assert.AreEqual(2, hub.Gets.Count(), "one resume, one fresh download, no more");
        CollectionAssert.AreEqual(Array.Empty<string>(), cache.Files(), "nothing kept");
    }

    /// <summary>Four bytes from a wrong host, as an interrupted download from a bad mirror leaves them.</summary>
    private void WriteForeignPartialFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Incomplete)!);
        File.WriteAllBytes(Incomplete, [0xde, 0xad, 0xbe, 0xef]);
    }

    private static Func<long, long, string> BadContentRange(string answer) => answer switch
    {
        "none" => (_, _) => "",
        "from zero" => (start, length) => $"bytes 0-{length - start - 1}/{length}",
        "other total" => (start, length) => $"bytes {start}-{length - 1}/{length + 1}",
        "garbage" => (_, _) => "bytes=banana",
        _ => throw new ArgumentOutOfRangeException(nameof(answer)),
    };
}


namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>What a failed download tells the user, and that it leaves nothing behind under a final name.</summary>
[TestClass]
public sealed class HubDownloadFailureTests
{
    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    [TestMethod]
    public async Task BodyWhoseSha256DoesNotMatchIsRejectedAndNothingIsCached()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var corrupt = (byte[])HubTestCache.WeightsBytes.Clone();
        corrupt[corrupt.Length / 3] ^= 0x40; // same size: huggingface_hub's size check would accept it
        hub.CorruptBody = corrupt;

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)));

        StringAssert.Contains(error.Message, "sha256");
        StringAssert.Contains(error.Message, sha, "the expected hash");
        CollectionAssert.AreEqual(Array.Empty<string>(), cache.Files(), "no blob, no snapshot, no .incomplete, no ref");
    }

    [TestMethod]
    public async Task NotFoundNamesTheWeightsAndTheUrl()
    {
        await using var hub = await FakeHub.StartAsync(); // serves nothing

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)));

        var url = $"{hub.Endpoint.AbsoluteUri}timm/{HubTestCache.Name}/resolve/main/model.safetensors";
        StringAssert.Contains(error.Message, $"'{HubTestCache.Name}'");
        StringAssert.Contains(error.Message, url);
        Assert.AreEqual(404, error.StatusCode);
        Assert.AreEqual(url, error.Url);
        CollectionAssert.AreEqual(Array.Empty<string>(), cache.Files());
    }

    [TestMethod]
    public async Task UnauthorizedMentionsHfToken()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.HubStatus = 401;

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub)));

        StringAssert.Contains(error.Message, "HF_TOKEN");
        StringAssert.Contains(error.Message, "No token was sent");
        Assert.AreEqual(401, error.StatusCode);
        Assert.AreEqual(1, hub.Requests.Count, "a refusal is not retried");
    }

    [TestMethod]
    public async Task GatedRepositorySaysToAcceptItsConditions()
    {
        await using var hub = await FakeHub.StartAsync();
        (hub.HubStatus, hub.ErrorCode) = (403, "GatedRepo");

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub, token: "hf_rejected")));

        StringAssert.Contains(error.Message, "gated");
        StringAssert.Contains(error.Message, "HF_TOKEN");
        StringAssert.Contains(error.Message, "HubDownloadOptions.Token was sent and refused");
    }

    [TestMethod]
    public void UnreachableHubWithAnEmptyCacheSaysSoAndNamesTheUrl()
    {
        var endpoint = $"http://127.0.0.1:{HubDownloadTests.ClosedPort()}";

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(endpoint) with { MaxRetries = 1 }));

        StringAssert.Contains(error.Message, "Could not reach the hub");
        StringAssert.Contains(error.Message, "has no copy");
        StringAssert.Contains(error.Message, $"{endpoint}/timm/{HubTestCache.Name}/resolve/main/model.safetensors");
    }

    [TestMethod]
    public void OfflineWithAnEmptyCacheNamesTheUrlToFetchByHand()
    {
        var options = cache.Options("http://127.0.0.1:9") with { Offline = true };

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, options));

        StringAssert.Contains(error.Message, "HubDownloadOptions.Offline");
        StringAssert.Contains(error.Message, $"http://127.0.0.1:9/timm/{HubTestCache.Name}/resolve/main/model.safetensors");
        StringAssert.Contains(error.Message, "Offline = false", "how to let it download");
    }

    [TestMethod]
    public void UnknownNameListsTheKnownOnes()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => NFNetPretrained.Download("eca_nfnet_l9.nope"));

        StringAssert.Contains(error.Message, "eca_nfnet_l9.nope");
        StringAssert.Contains(error.Message, "dm_nfnet_f0.dm_in1k");
        StringAssert.Contains(error.Message, "eca_nfnet_l2.ra3_in1k");
    }

    [TestMethod]
    [DataRow("timm", DisplayName = "no owner")]
    [DataRow("timm/../etc", DisplayName = "parent segment")]
    [DataRow("timm/a--b", DisplayName = "double dash")]
    public void BadRepositoryIdIsRejectedBeforeAnyRequest(string repository)
    {
        using var downloader = new HubFileDownloader(cache.Options("http://127.0.0.1:9"));
        Assert.ThrowsExactly<ArgumentException>(() => downloader.Download(repository, "model.safetensors"));
    }

    [TestMethod]
    [DataRow("../model.safetensors")]
    [DataRow("/etc/passwd")]
    [DataRow("a\\b")]
    [DataRow("C:model.safetensors", DisplayName = "drive-relative on Windows")]
    [DataRow("model.safetensors:stream", DisplayName = "an NTFS stream")]
    [DataRow("NUL", DisplayName = "a device on Windows")]
    [DataRow("sub/...", DisplayName = "only dots")]
    public void FileNameOutsideTheRepositoryIsRejected(string fileName)
    {
        using var downloader = new HubFileDownloader(cache.Options("http://127.0.0.1:9"));
        var error = Assert.ThrowsExactly<ArgumentException>(() => downloader.Download(HubTestCache.Repository, fileName));
        Assert.AreEqual("fileName", error.ParamName);
    }

    [TestMethod]
    [DataRow("..\\..\\outside", DisplayName = "Windows parent segments")]
    [DataRow("C:\\Windows\\Temp", DisplayName = "Windows absolute path")]
    [DataRow("C:outside", DisplayName = "Windows drive-relative path")]
    [DataRow("\\\\server\\share", DisplayName = "UNC path")]
    [DataRow("refs/../../outside", DisplayName = "parent segments")]
    [DataRow("/etc", DisplayName = "rooted")]
    [DataRow("refs//x", DisplayName = "empty segment")]
    [DataRow("main:stream", DisplayName = "an NTFS stream")]
    [DataRow("...", DisplayName = "only dots")]
    [DataRow("main.", DisplayName = "trailing dot, dropped by Windows")]
    [DataRow("con.txt", DisplayName = "a device on Windows")]
    [DataRow("a\tb", DisplayName = "control character")]
    public void RevisionThatCouldLeaveTheCacheIsRejectedOnEveryOs(string revision)
    {
        using var downloader = new HubFileDownloader(cache.Options("http://127.0.0.1:9") with { Offline = true });

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => downloader.Download(HubTestCache.Repository, HubTestCache.FileName, revision));

        Assert.AreEqual("revision", error.ParamName);
        StringAssert.Contains(error.Message, "is not a revision");
        Assert.IsFalse(Directory.Exists(cache.RepositoryFolder), "nothing written");
    }

    [TestMethod]
    [DataRow("main")]
    [DataRow("refs/pr/1")]
    [DataRow("v1.0-rc_2")]
    [DataRow(FakeHub.Commit)]
    public void BranchTagAndCommitRevisionsAreAccepted(string revision)
    {
        using var downloader = new HubFileDownloader(cache.Options("http://127.0.0.1:9"));
        StringAssert.Contains(downloader.GetUrl(HubTestCache.Repository, HubTestCache.FileName, revision), "/resolve/");
    }
}

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// No secret in any message, URL or inner exception of a failed download: not the user name and password of an
/// endpoint (<c>HF_ENDPOINT=http://user:pass@host</c>), not the token, not a download link's signature or user info.
/// </summary>
[TestClass]
public sealed class HubSecretTests
{
    private const string User = "user-7d1e";
    private const string Password = "pass-93bc";
    private const string Token = "hf_token_5a0f";

    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    [TestMethod]
    public async Task NotFoundShowsTheUrlWithoutTheEndpointsPasswordOrTheToken()
    {
        await using var hub = await FakeHub.StartAsync(); // serves nothing
        using var downloader = DownloaderWithSecrets(hub.Endpoint.Port);

        var error = Assert.ThrowsExactly<HubDownloadException>(() => downloader.Download(HubTestCache.Repository, HubTestCache.FileName));

        Assert.AreEqual(404, error.StatusCode);
        var url = $"http://127.0.0.1:{hub.Endpoint.Port}/timm/{HubTestCache.Name}/resolve/main/model.safetensors";
        StringAssert.Contains(error.Message, url, "the URL, without user info");
        Assert.AreEqual(url, error.Url);
        Assert.AreEqual(url, downloader.GetUrl(HubTestCache.Repository, HubTestCache.FileName), "what a log line shows");
        AssertNoSecret(error, User, Password, Token);
    }

    [TestMethod]
    public void OfflineShowsTheUrlWithoutTheEndpointsPassword()
    {
        var options = cache.Options($"http://{User}:{Password}@127.0.0.1:9") with { Offline = true, Token = Token };

        var error = Assert.ThrowsExactly<HubDownloadException>(() => NFNetPretrained.Download(HubTestCache.Name, options));

        StringAssert.Contains(error.Message, $"http://127.0.0.1:9/timm/{HubTestCache.Name}/resolve/main/model.safetensors");
        AssertNoSecret(error, User, Password, Token);
    }

    [TestMethod]
    public void UnreachableHubShowsNeitherTheEndpointsPasswordNorTheToken()
    {
        using var downloader = DownloaderWithSecrets(HubDownloadTests.ClosedPort());

        var error = Assert.ThrowsExactly<HubDownloadException>(() => downloader.Download(HubTestCache.Repository, HubTestCache.FileName));

        StringAssert.Contains(error.Message, "Could not reach the hub");
        AssertNoSecret(error, User, Password, Token);
    }

    [TestMethod]
    public async Task RefusedDownloadLinkShowsNeitherItsSignatureNorItsUserInfo()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        (hub.CdnStatus, hub.CdnUserInfo) = (403, $"{User}:{Password}"); // an expired signed link

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub, token: Token)));

        Assert.AreEqual(403, error.StatusCode);
        StringAssert.Contains(error.Message, $"/lfs/{sha}", "the path of the link stays");
        AssertNoSecret(error, FakeHub.Signature, "X-Amz", User, Password, Token);
    }

    [TestMethod]
    public async Task BrokenDownloadShowsNoSignature()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CdnUserInfo = $"{User}:{Password}";
        hub.CutConnections(int.MaxValue);

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 0 }));

        StringAssert.Contains(error.Message, "Gave up");
        AssertNoSecret(error, FakeHub.Signature, User, Password);
    }

    [TestMethod]
    public async Task RefusedTokenIsNamedByItsSourceNotShown()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.HubStatus = 401;

        var error = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub, token: Token)));

        StringAssert.Contains(error.Message, "HubDownloadOptions.Token was sent and refused");
        AssertNoSecret(error, Token);
    }

    [TestMethod]
    [DataRow("user-7d1e:pass-93bc@huggingface.co", DisplayName = "no scheme")]
    [DataRow("ftp://user-7d1e:pass-93bc@huggingface.co", DisplayName = "not http")]
    public void EndpointThatIsNotAnHttpUrlIsRejectedWithoutItsPassword(string endpoint)
    {
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = endpoint };

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => HubSettings.Resolve(new HubDownloadOptions(), n => environment.GetValueOrDefault(n)));

        StringAssert.Contains(error.Message, "HF_ENDPOINT");
        StringAssert.Contains(error.Message, "huggingface.co'", "the rest of the value, to recognise it");
        AssertNoSecret(error, User, Password);
    }

    [TestMethod]
    public void OptionsAndSettingsPrintNeitherThePasswordNorTheToken()
    {
        var options = new HubDownloadOptions { Endpoint = $"http://{User}:{Password}@127.0.0.1:9", Token = Token, MaxRetries = 3 };

        var printed = new[] { options.ToString(), HubSettings.Resolve(options, _ => null).ToString() };

        foreach (var text in printed)
        {
            StringAssert.Contains(text, "Endpoint = http://127.0.0.1:9/");
            StringAssert.Contains(text, "Token = (set, not shown)");
            Assert.IsFalse(text.Contains(User) || text.Contains(Password) || text.Contains(Token), $"a secret leaked: {text}");
        }
        StringAssert.Contains(printed[0], "MaxRetries = 3", "the rest is still shown");
    }

    /// <summary>HF_ENDPOINT with a user name and password, HF_TOKEN set; no retry waits.</summary>
    private HubFileDownloader DownloaderWithSecrets(int port)
    {
        var environment = new Dictionary<string, string>
        {
            ["HF_ENDPOINT"] = $"http://{User}:{Password}@127.0.0.1:{port}",
            ["HF_TOKEN"] = Token,
        };
        var options = cache.Options("http://unused") with { Endpoint = null, Token = null, MaxRetries = 1 };
        return new HubFileDownloader(HubSettings.Resolve(options, n => environment.GetValueOrDefault(n)));
    }

    /// <summary>Neither the message nor any inner exception (ToString has them all) nor any URL property holds a secret.</summary>
    private static void AssertNoSecret(Exception error, params string[] secrets)
    {
        var texts = new List<string> { error.ToString() };
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HubDownloadException hub)
                texts.Add(hub.Url);
        }
        foreach (var secret in secrets)
        {
            foreach (var text in texts)
                Assert.IsFalse(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' leaked: {text}");
        }
    }
}

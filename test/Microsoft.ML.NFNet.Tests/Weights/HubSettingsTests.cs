
namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// The environment variables as huggingface_hub reads them (constants.py: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE,
/// HF_HUB_OFFLINE; utils/_auth.py: HF_TOKEN, then the token file). The environment is passed in, never changed.
/// </summary>
[TestClass]
public sealed class HubSettingsTests
{
    private static HubSettings Resolve(Dictionary<string, string> environment, HubDownloadOptions? options = null) =>
        HubSettings.Resolve(options ?? new HubDownloadOptions(), name => environment.GetValueOrDefault(name));

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    [TestMethod]
    public void DefaultsAreTheHubAndTheHomeCache()
    {
        var settings = Resolve(new() { ["HF_TOKEN_PATH"] = "/nonexistent/token" });

        Assert.AreEqual("https://huggingface.co/", settings.Endpoint.AbsoluteUri);
        Assert.AreEqual(Path.Combine(Home, ".cache", "huggingface", "hub"), settings.CacheDirectory);
        Assert.IsNull(settings.Token);
        Assert.IsFalse(settings.Offline);
        Assert.AreEqual(TimeSpan.FromSeconds(10), settings.MetadataTimeout);
    }

    [TestMethod]
    public void CacheFollowsHfHubCacheThenHfHomeThenXdgCacheHome()
    {
        Assert.AreEqual(Path.GetFullPath("/data/hf/hub"), Resolve(new() { ["HF_HOME"] = "/data/hf" }).CacheDirectory);
        Assert.AreEqual(Path.GetFullPath("/x/huggingface/hub"), Resolve(new() { ["XDG_CACHE_HOME"] = "/x" }).CacheDirectory);
        Assert.AreEqual(Path.GetFullPath("/c"), Resolve(new() { ["HF_HOME"] = "/data/hf", ["HF_HUB_CACHE"] = "/c" }).CacheDirectory);
        Assert.AreEqual(Path.Combine(Home, "c"), Resolve(new() { ["HF_HUB_CACHE"] = "~/c" }).CacheDirectory, "~ expanded");
        Assert.AreEqual(Path.GetFullPath("/o"),
            Resolve(new() { ["HF_HUB_CACHE"] = "/c" }, new HubDownloadOptions { CacheDirectory = "/o" }).CacheDirectory, "options win");
    }

    [TestMethod]
    public void EndpointTokenAndOfflineComeFromTheEnvironment()
    {
        var settings = Resolve(new() { ["HF_ENDPOINT"] = "http://mirror.local:8080/", ["HF_TOKEN"] = " hf_abc\n", ["HF_HUB_OFFLINE"] = "true" });

        Assert.AreEqual("http://mirror.local:8080/", settings.Endpoint.AbsoluteUri);
        Assert.AreEqual("hf_abc", settings.Token);
        Assert.AreEqual("HF_TOKEN", settings.TokenSource);
        Assert.IsTrue(settings.Offline);
        Assert.IsFalse(Resolve(new() { ["HF_HUB_OFFLINE"] = "0" }).Offline);
        Assert.IsTrue(Resolve(new() { ["TRANSFORMERS_OFFLINE"] = "1" }).Offline);
        Assert.IsNull(Resolve(new() { ["HF_TOKEN"] = "hf_abc" }, new HubDownloadOptions { Token = "" }).Token, "empty string: no token");
    }

    [TestMethod]
    public void TokenFileOfHuggingfaceCliLoginIsRead()
    {
        var home = Path.Combine(Path.GetTempPath(), "nfnet-hf-home-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            File.WriteAllText(Path.Combine(home, "token"), "hf_from_file\n");
            var settings = Resolve(new() { ["HF_HOME"] = home });
            Assert.AreEqual("hf_from_file", settings.Token);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [TestMethod]
    public void UrlIsEndpointRepositoryResolveRevisionFile()
    {
        using var downloader = new HubFileDownloader(Resolve(new() { ["HF_ENDPOINT"] = "https://hf-mirror.example/" }));

        Assert.AreEqual("https://hf-mirror.example/timm/eca_nfnet_l0.ra2_in1k/resolve/main/model.safetensors",
            downloader.GetUrl("timm/eca_nfnet_l0.ra2_in1k", "model.safetensors"));
        Assert.AreEqual("https://hf-mirror.example/timm/x/resolve/refs%2Fpr%2F1/sub/dir/a%20b.json",
            downloader.GetUrl("timm/x", "sub/dir/a b.json", "refs/pr/1"));
    }

    [TestMethod]
    public void EndpointThatIsNotAnHttpUrlIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Resolve(new() { ["HF_ENDPOINT"] = "huggingface.co" }));
        StringAssert.Contains(error.Message, "HF_ENDPOINT");
    }
}

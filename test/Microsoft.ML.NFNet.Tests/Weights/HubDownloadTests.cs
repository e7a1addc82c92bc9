using TorchSharp;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// The hub downloader end to end against <see cref="FakeHub"/> on 127.0.0.1: the cache layout huggingface_hub writes
/// and reads (its file_download.py), the cached and offline paths, resume, retries and concurrent downloads.
/// </summary>
[TestClass]
public sealed class HubDownloadTests
{
    private HubTestCache cache = null!;

    [TestInitialize]
    public void CreateCache() => cache = new HubTestCache();

    [TestCleanup]
    public void DeleteCache() => cache.Dispose();

    [TestMethod]
    public async Task FirstDownloadWritesHuggingFaceHubCacheLayout()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var progress = new RecordingProgress();

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { Progress = progress });

        Assert.AreEqual(cache.SnapshotPath, path, "snapshots/<X-Repo-Commit>/<file>");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path), "the served bytes");
        var snapshot = new FileInfo(path);
        Assert.AreEqual($"../../blobs/{sha}", snapshot.LinkTarget?.Replace('\\', '/'), "a relative symlink to the blob");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(Path.Combine(cache.RepositoryFolder, "blobs", sha)));
        Assert.AreEqual(FakeHub.Commit, File.ReadAllText(Path.Combine(cache.RepositoryFolder, "refs", "main")), "refs/main, no newline");
        CollectionAssert.AreEqual(
            new[] { $"models--timm--{HubTestCache.Name}/blobs/{sha}", $"models--timm--{HubTestCache.Name}/refs/main",
                $"models--timm--{HubTestCache.Name}/snapshots/{FakeHub.Commit}/model.safetensors" },
            cache.Files(), "nothing else: no .incomplete, no temp files");
        Assert.IsTrue(File.Exists(Path.Combine(cache.Directory, ".locks", $"models--timm--{HubTestCache.Name}", sha + ".lock")));

        using (var tensors = new DisposableTensors(Safetensors.Load(path)))
            Assert.AreEqual(600L * 1000, tensors.Values["w"].numel(), "a loadable safetensors file");

        var requests = hub.Requests.ToArray();
        Assert.AreEqual("hub HEAD /timm/eca_nfnet_l0.ra2_in1k/resolve/main/model.safetensors", $"{requests[0].Server} {requests[0].Method} {requests[0].Path}");
        Assert.AreEqual(1, hub.Gets.Count(), "one GET");
        Assert.AreEqual("cdn", hub.Gets.Single().Server, "the GET goes straight to the redirect's location");
        Assert.AreNotEqual(hub.Endpoint.Authority, hub.Gets.Single().Host, "another authority (host and port)");
        Assert.AreEqual(hub.Endpoint.Authority, hub.Requests.First().Host, "the HEAD went to the hub itself");

        var reports = progress.Reports.ToArray();
        Assert.IsTrue(reports.Length >= 2, "progress is reported while downloading");
        Assert.IsTrue(reports.Zip(reports.Skip(1)).All(p => p.First.BytesDownloaded <= p.Second.BytesDownloaded), "monotonic");
        Assert.AreEqual(HubTestCache.WeightsBytes.Length, reports[^1].BytesDownloaded);
        Assert.IsTrue(reports.All(r => r.TotalBytes == HubTestCache.WeightsBytes.Length && r.FileName == HubTestCache.FileName));
    }

    [TestMethod]
    public async Task TokenIsSentToTheHubButNotToTheRedirectHost()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);

        NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub, token: "hf_secret"));

        var head = hub.Requests.Single(r => r.Method == "HEAD");
        Assert.AreEqual("Bearer hf_secret", head.Authorization, "the hub gets the token");
        Assert.IsNull(hub.Gets.Single().Authorization, "the CDN on another host does not");
    }

    [TestMethod]
    public async Task SecondCallUsesTheCacheWithoutGet()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var first = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));
        var requestsAfterFirst = hub.Requests.Count;

        var second = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        Assert.AreEqual(first, second);
        Assert.AreEqual(1, hub.Gets.Count(), "no second GET");
        Assert.AreEqual("HEAD", hub.Requests.Skip(requestsAfterFirst).Single().Method,
            "only the HEAD huggingface_hub also makes, to see whether main moved");

        var offline = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { Offline = true });
        Assert.AreEqual(first, offline);
        Assert.AreEqual(requestsAfterFirst + 1, hub.Requests.Count, "offline: no request at all");
    }

    [TestMethod]
    public async Task PythonStyleCacheIsUsedOfflineWithoutAnyRequest()
    {
        await using var hub = await FakeHub.StartAsync();
        var expected = cache.WritePythonStyleCache();

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { Offline = true });

        Assert.AreEqual(expected, path);
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        Assert.AreEqual(0, hub.Requests.Count, "no request");
    }

    [TestMethod]
    public void PythonStyleCacheIsUsedWhenTheHubIsUnreachable()
    {
        var expected = cache.WritePythonStyleCache();

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options($"http://127.0.0.1:{ClosedPort()}"));

        Assert.AreEqual(expected, path, "refs/main + snapshots stand in when the HEAD fails");
    }

    [TestMethod]
    public async Task OfflineWithTheEnvironmentVariableReadsTheCacheOnly()
    {
        await using var hub = await FakeHub.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = cache.Directory, ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri,
        };
        using var downloader = new HubFileDownloader(HubSettings.Resolve(new HubDownloadOptions(), n => environment.GetValueOrDefault(n)));

        var missing = Assert.ThrowsExactly<HubDownloadException>(() => downloader.Download(HubTestCache.Repository, HubTestCache.FileName));
        var url = $"{hub.Endpoint.AbsoluteUri}timm/{HubTestCache.Name}/resolve/main/model.safetensors";
        StringAssert.Contains(missing.Message, "HF_HUB_OFFLINE is set");
        StringAssert.Contains(missing.Message, "HF_HUB_OFFLINE unset");
        StringAssert.Contains(missing.Message, url, "the URL to fetch by hand");
        Assert.AreEqual(url, missing.Url);

        var expected = cache.WritePythonStyleCache();
        Assert.AreEqual(expected, downloader.Download(HubTestCache.Repository, HubTestCache.FileName));
        Assert.AreEqual(0, hub.Requests.Count, "offline: no request, hit or miss");
    }

    [TestMethod]
    public async Task ConnectionCutHalfWayIsResumedWithRange()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(1);

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        var gets = hub.Gets.ToArray();
        Assert.AreEqual(2, gets.Length, "one cut GET, one resumed GET");
        Assert.IsNull(gets[0].Range);
        var resumedAt = RangeStart(gets[1]);
        Assert.IsTrue(resumedAt is > 0 && resumedAt <= HubTestCache.WeightsBytes.Length / 2,
            $"resumed where the cut left off (at most half was sent), not from 0: {gets[1].Range}");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path), "the final bytes");
    }

    [TestMethod]
    public async Task CutsThatEachBringBytesDoNotUseUpTheRetries()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(3);

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 1 });

        var starts = hub.Gets.Skip(1).Select(RangeStart).ToArray();
        Assert.AreEqual(3, starts.Length, "three resumes after three cuts, with one retry allowed: the count restarts on progress");
        Assert.IsTrue(starts.Zip(starts.Skip(1)).All(p => p.First < p.Second), "each resume starts further on");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
    }

    [TestMethod]
    public async Task PartialFileOfAnEarlierRunIsResumed()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.CutConnections(1);

        var giveUp = Assert.ThrowsExactly<HubDownloadException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { MaxRetries = 0 }));
        StringAssert.Contains(giveUp.Message, "resumes");
        var incomplete = Path.Combine(cache.RepositoryFolder, "blobs", sha + ".incomplete");
        var kept = File.ReadAllBytes(incomplete);
        Assert.IsTrue(kept.Length is > 0 && kept.Length <= HubTestCache.WeightsBytes.Length / 2, $"part kept: {kept.Length} bytes");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes[..kept.Length], kept, "the kept part is the file's beginning");
        Assert.IsFalse(File.Exists(cache.SnapshotPath), "no final name yet");

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        Assert.AreEqual($"bytes={kept.Length}-", hub.Gets.Last().Range, "the next run asks only for the rest");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(incomplete));
    }

    [TestMethod]
    public async Task TransientServerErrorsAreRetried()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.FailWith503(2);

        var path = NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));

        Assert.AreEqual(3, hub.Gets.Count(), "two 503s, then the file");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
    }

    [TestMethod]
    public async Task ConcurrentDownloadsOfTheSameFileMakeOneGetAndOneIntactFile()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.ChunkDelay = TimeSpan.FromMilliseconds(5);
        using var start = new Barrier(2);

        var downloads = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            using var downloader = new HubFileDownloader(cache.Options(hub)); // separate HTTP clients and lock handles
            start.SignalAndWait();
            return downloader.Download(HubTestCache.Repository, HubTestCache.FileName);
        })).ToArray();
        var paths = await Task.WhenAll(downloads);

        Assert.AreEqual(paths[0], paths[1]);
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(paths[0]));
        Assert.AreEqual(2, hub.Requests.Count(r => r.Method == "HEAD"), "both asked");
        Assert.AreEqual(1, hub.Gets.Count(), "the second waited on the lock and found the blob");
        Assert.AreEqual(3, cache.Files().Length, "blob, ref, snapshot: nothing left over");
    }

    [TestMethod]
    public async Task CancellationStopsTheDownloadAndLeavesNoFinalFile()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        hub.ChunkDelay = TimeSpan.FromMilliseconds(20);
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress { OnReport = _ => cancellation.Cancel() };

        Assert.Throws<OperationCanceledException>(
            () => NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub) with { Progress = progress }, cancellation.Token),
            "honoured mid-download");

        Assert.IsFalse(File.Exists(cache.SnapshotPath));
        Assert.IsFalse(cache.Files().Any(f => f.Contains("/blobs/") && !f.EndsWith(".incomplete")), "no blob under its final name");
        hub.ChunkDelay = TimeSpan.Zero;
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub))));
        Assert.IsNotNull(hub.Gets.Last().Range, "the next call resumed the kept part");
    }

    [TestMethod]
    public async Task WithoutSymlinksTheSnapshotHoldsTheFileItself()
    {
        await using var hub = await FakeHub.StartAsync();
        var sha = hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var environment = new Dictionary<string, string> { ["HF_HUB_DISABLE_SYMLINKS"] = "1" };
        using var downloader = new HubFileDownloader(HubSettings.Resolve(cache.Options(hub), n => environment.GetValueOrDefault(n)));

        var path = downloader.Download(HubTestCache.Repository, HubTestCache.FileName);

        Assert.IsNull(new FileInfo(path).LinkTarget, "a regular file, as where symlinks are unavailable (Windows without Developer Mode)");
        CollectionAssert.AreEqual(HubTestCache.WeightsBytes, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(Path.Combine(cache.RepositoryFolder, "blobs", sha)), "a new blob is moved, as huggingface_hub does");
        Assert.AreEqual(path, downloader.Download(HubTestCache.Repository, HubTestCache.FileName));
        Assert.AreEqual(1, hub.Gets.Count(), "and found again without a GET");
    }

    [TestMethod]
    public async Task BlockingDownloadPostsNothingToTheCallersSynchronizationContext()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.AddFile(HubTestCache.Repository, HubTestCache.FileName, HubTestCache.WeightsBytes);
        var context = new CountingSynchronizationContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            NFNetPretrained.Download(HubTestCache.Name, cache.Options(hub));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
        Assert.AreEqual(0, context.Posts, "a UI thread calling Download cannot deadlock on its own context");
    }

    private static long RangeStart(RecordedRequest request) =>
        long.Parse(request.Range!.Replace("bytes=", "").TrimEnd('-'));

    internal static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class CountingSynchronizationContext : SynchronizationContext
    {
        private int posts;

        public int Posts => posts;

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref posts);
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }
    }

    private sealed class DisposableTensors(Dictionary<string, torch.Tensor> values) : IDisposable
    {
        public Dictionary<string, torch.Tensor> Values { get; } = values;

        public void Dispose()
        {
            foreach (var tensor in Values.Values)
                tensor.Dispose();
        }
    }
}

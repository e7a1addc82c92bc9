
namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>The lock file that keeps two downloads of one blob apart, within a process and across processes.</summary>
[TestClass]
public sealed class HubFileLockTests
{
    private static string NewLockPath() =>
        Path.Combine(Path.GetTempPath(), "nfnet-hub-locks", Guid.NewGuid().ToString("N"), "blob.lock");

    [TestMethod]
    public async Task SecondHolderWaitsUntilTheFirstReleases()
    {
        var path = NewLockPath();
        var first = await HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x", CancellationToken.None);
        var second = HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x", CancellationToken.None);

        await Task.Delay(300);
        Assert.IsFalse(second.IsCompleted, "excluded while the first holds it");
        first.Dispose();
        using var acquired = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [TestMethod]
    public async Task WaitBeyondTheTimeoutNamesTheLockFile()
    {
        var path = NewLockPath();
        using var held = await HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x/f", CancellationToken.None);

        var error = await Assert.ThrowsExactlyAsync<HubDownloadException>(
            () => HubFileLock.AcquireAsync(path, TimeSpan.FromMilliseconds(250), "http://x/f", CancellationToken.None));

        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "LockTimeout");
    }

    [TestMethod]
    public async Task WaitingIsCancellable()
    {
        var path = NewLockPath();
        using var held = await HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x", CancellationToken.None);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<OperationCanceledException>(
            () => HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x", cancellation.Token));
    }

    /// <summary>huggingface_hub locks with Python's filelock, i.e. flock(LOCK_EX); a lock held that way must exclude us.</summary>
    [TestMethod]
    public async Task LockHeldByAnotherProcessWithFlockExcludesThisOne()
    {
        if (OperatingSystem.IsWindows())
            Assert.Inconclusive("flock(1) is a Unix tool.");
        var path = NewLockPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        // The holder says when it has the lock, so a slow machine cannot let this process win the race.
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            "flock", ["-x", path, "sh", "-c", "echo locked; sleep 5"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Assert.AreEqual("locked", await holder.StandardOutput.ReadLineAsync());
        var held = System.Diagnostics.Stopwatch.StartNew();

        var acquire = HubFileLock.AcquireAsync(path, Timeout.InfiniteTimeSpan, "http://x", CancellationToken.None);
        await Task.Delay(300);
        Assert.IsFalse(acquire.IsCompleted, "excluded by the other process");
        using var acquired = await acquire.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.IsTrue(held.Elapsed >= TimeSpan.FromSeconds(4.5), $"acquired after {held.Elapsed}: only once the other process let go");
    }
}

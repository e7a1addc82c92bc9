using Microsoft.ML.NFNet.Samples.WebApi.LoadTest;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>The load-test command's arithmetic and a short run of the command as the README gives it.</summary>
[TestClass]
public class LoadTestCommandTests
{
    [TestMethod]
    public void PercentilesAreNearestRank()
    {
        var latencies = Enumerable.Range(1, 200).Select(i => (double)i).Reverse().ToArray();

        var summary = LatencySummary.Of(latencies, failed: 2, seconds: 4);

        Assert.AreEqual(100, summary.P50Ms);
        Assert.AreEqual(190, summary.P95Ms);
        Assert.AreEqual(198, summary.P99Ms);
        Assert.AreEqual(200, summary.MaxMs);
        Assert.AreEqual(50, summary.RequestsPerSecond);
        Assert.AreEqual(2, summary.Failed);
    }

    [TestMethod]
    public async Task AShortRunTrainsATinyModelServesItAndSucceeds()
    {
        // 32 px keeps the one training epoch to a second or two; every request must succeed for exit code 0.
        var exitCode = await LoadTestCommand.RunAsync(["--image-size", "32", "--duration", "1", "--warmup", "0", "--concurrency", "2"]);

        Assert.AreEqual(0, exitCode);
    }

    [TestMethod]
    public async Task AnUnknownOptionFails()
    {
        Assert.AreEqual(1, await LoadTestCommand.RunAsync(["--concurency", "2"]));
    }
}

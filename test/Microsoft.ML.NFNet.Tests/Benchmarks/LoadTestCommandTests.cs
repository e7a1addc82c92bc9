using Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

namespace Microsoft.ML.NFNet.Tests.Benchmarks;

/// <summary>The web API load test's arithmetic, its command line, and a short run as docs/web-api.md gives it.</summary>
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
    public void DefaultsAreTheDocumentedOnes()
    {
        var result = BenchCli.Parse("webapi-load");
        Assert.IsEmpty(result.Errors);

        var options = ((LoadTestCommand)result.CommandResult.Command).Bind(result);

        Assert.AreEqual(new LoadTestOptions(Model: null, ImageSize: 128, Image: null, Concurrency: 4, Duration: 20, Warmup: 3), options);
    }

    [TestMethod]
    public async Task AShortRunTrainsATinyModelServesItAndSucceeds()
    {
        // 32 px keeps the one training epoch to a second or two; every request must succeed for exit code 0.
        var exitCode = await LoadTestCommand.RunAsync(new LoadTestOptions(ImageSize: 32, Duration: 1, Warmup: 0, Concurrency: 2));

        Assert.AreEqual(0, exitCode);
    }

    [TestMethod]
    [DataRow("webapi-load --concurency 2", "--concurency")]
    [DataRow("webapi-load --concurrency 0", "--concurrency")]
    [DataRow("webapi-load --duration 0", "--duration")]
    [DataRow("webapi-load --image-size 16", "--image-size")]
    public void ABadOptionFailsBeforeAnythingRuns(string commandLine, string option)
    {
        var (code, output, error) = BenchCli.RunWithoutWork(BenchCli.Args(commandLine));

        Assert.AreEqual(1, code);
        Assert.AreEqual("", output);
        StringAssert.Contains(error, option);
    }
}

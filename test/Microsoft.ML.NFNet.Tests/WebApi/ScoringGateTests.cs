using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.NFNet.Samples.WebApi.Endpoints;
using Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>
/// Issue 20, item 1: requests that decode and score at once are bounded (<c>MaxConcurrentScoring</c>); the rest wait
/// for a slot up to <c>ScoringQueueTimeoutSeconds</c>, then get 503 with <c>Retry-After</c>. The test holds the slots
/// itself, so nothing depends on timing.
/// </summary>
[TestClass]
public class ScoringGateTests
{
    private static readonly SavedModelFiles.Expected Expected = SavedModelFiles.ReadExpected();

    [TestMethod]
    public async Task WithEverySlotTakenARequestGets503WithRetryAfterAndIsServedOnceOneFrees()
    {
        await using var server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath,
            "--MaxConcurrentScoring", "2", "--ScoringQueueTimeoutSeconds", "0");
        var gate = server.Services.GetRequiredService<ScoringGate>();
        var held = new[] { await gate.EnterAsync(CancellationToken.None), await gate.EnterAsync(CancellationToken.None) };
        Assert.AreEqual(0, gate.Free);

        using var busy = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), "image/png");

        var message = await PredictClient.ReadProblemAsync(busy, HttpStatusCode.ServiceUnavailable);
        StringAssert.Contains(message, "scoring 2 requests already");
        StringAssert.Contains(message, "MaxConcurrentScoring");
        Assert.AreEqual(TimeSpan.FromSeconds(ScoringGate.RetryAfterSeconds), busy.Headers.RetryAfter?.Delta);

        held[0]!.Dispose();
        using var served = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), "image/png", "?k=1");
        Assert.AreEqual(Expected.Labels[0], (await PredictClient.ReadPredictionsAsync(served)).Predictions.Single().Top.Single().Label);
        Assert.AreEqual(1, gate.Free, "the request gave its slot back");
        held[1]!.Dispose();
    }

    [TestMethod]
    public async Task ARequestWaitsForASlotWithinTheQueueTimeout()
    {
        await using var server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath,
            "--MaxConcurrentScoring", "1", "--ScoringQueueTimeoutSeconds", "120");
        var gate = server.Services.GetRequiredService<ScoringGate>();
        var held = await gate.EnterAsync(CancellationToken.None);

        var waiting = PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(1), "image/jpeg", "?k=1");
        await Task.Delay(500);
        Assert.IsFalse(waiting.IsCompleted, "the request waits while the only slot is held");
        held!.Dispose();

        using var response = await waiting;
        Assert.AreEqual(Expected.Labels[1], (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top.Single().Label);
    }

    [TestMethod]
    public async Task ARefusedBombTakesNoSlot()
    {
        await using var server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath,
            "--MaxConcurrentScoring", "1", "--ScoringQueueTimeoutSeconds", "0");
        var gate = server.Services.GetRequiredService<ScoringGate>();
        using var held = await gate.EnterAsync(CancellationToken.None);

        using var response = await PredictClient.PostRawAsync(server.Client,
            PixelBomb.PngWithOneRow(7_900, 7_900), "image/png");

        // Answered from the header (400), not turned away for want of a slot (503).
        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "more than this server accepts");
    }
}

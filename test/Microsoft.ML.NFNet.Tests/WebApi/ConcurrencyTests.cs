using System.Diagnostics;
using Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>Many requests at once share one model through pooled engines and get the answers of one at a time.</summary>
[TestClass]
public class ConcurrencyTests
{
    private const int Requests = 50;

    [TestMethod]
    public async Task FiftyConcurrentRequestsGetTheSequentialAnswers()
    {
        await using var server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath);
        var images = Enumerable.Range(0, 3).Select(SavedModelFiles.Image).ToArray();
        var expected = SavedModelFiles.ReadExpected();

        var sequential = new IReadOnlyList<LabelProbability>[Requests];
        for (var r = 0; r < Requests; r++)
            sequential[r] = (await PredictAsync(server.Client, images[r % images.Length], r, Stopwatch.StartNew())).Top;
        var clock = Stopwatch.StartNew();
        var concurrent = await Task.WhenAll(Enumerable.Range(0, Requests)
            .Select(r => PredictAsync(server.Client, images[r % images.Length], r, clock)));

        Assert.IsGreaterThan(1, MaxInFlight(concurrent.Select(a => (a.Start, a.End))), "the requests did not overlap");
        for (var r = 0; r < Requests; r++)
        {
            var image = r % images.Length;
            Assert.AreEqual(expected.Labels[image], sequential[r][0].Label, $"request {r}: sequential label");
            Assert.AreEqual(expected.Scores[image].Max(), sequential[r][0].Probability, 1e-5f, $"request {r}: sequential probability");
            CollectionAssert.AreEqual(sequential[r].ToArray(), concurrent[r].Top.ToArray(), $"request {r}: concurrent vs sequential");
        }
    }

    // Alternates raw and multipart uploads, so both paths run at the same time.
    private static async Task<(IReadOnlyList<LabelProbability> Top, TimeSpan Start, TimeSpan End)> PredictAsync(
        HttpClient client, byte[] image, int request, Stopwatch clock)
    {
        await Task.Yield();
        var start = clock.Elapsed;
        using var response = request % 2 == 0
            ? await PredictClient.PostRawAsync(client, image, "application/octet-stream", "?k=3")
            : await PredictClient.PostFilesAsync(client, [("image.bin", image)], "?k=3");
        var top = (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top;
        return (top, start, clock.Elapsed);
    }

    private static int MaxInFlight(IEnumerable<(TimeSpan Start, TimeSpan End)> requests) =>
        requests.SelectMany(r => new[] { (Time: r.Start, Change: 1), (Time: r.End, Change: -1) })
            .OrderBy(e => e.Time).ThenBy(e => e.Change)
            .Aggregate((Current: 0, Max: 0), (s, e) => (s.Current + e.Change, Math.Max(s.Max, s.Current + e.Change))).Max;
}

using System.Net;
using System.Text.Json;
using Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>
/// <c>POST /predict</c> and <c>GET /health</c> over real HTTP, checked against the answer key saved with the format-1
/// model (expected.json), not against the server's own earlier output.
/// </summary>
[TestClass]
public class PredictEndpointTests
{
    private static PredictionServer server = null!;
    private static readonly SavedModelFiles.Expected Expected = SavedModelFiles.ReadExpected();

    [ClassInitialize]
    public static async Task StartServer(TestContext _) => server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath);

    [ClassCleanup]
    public static async Task StopServer() => await server.DisposeAsync();

    [TestMethod]
    public async Task HealthReportsTheLoadedModelAndItsLabels()
    {
        using var response = await server.Client.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();
        var health = JsonSerializer.Deserialize<HealthResponse>(body, JsonSerializerOptions.Web)!;

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
        Assert.IsTrue(health.ModelLoaded);
        Assert.AreEqual("model.zip", health.Model);
        Assert.AreEqual(3, health.ClassCount);
        CollectionAssert.AreEqual(SavedModelFiles.ClassNames, health.Labels.ToArray());
    }

    [TestMethod]
    [DataRow(0, "image/png")]
    [DataRow(1, "image/jpeg")]
    [DataRow(2, "application/octet-stream")]
    public async Task ARawBodyGetsTheSavedLabelAndProbabilities(int image, string contentType)
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(image), contentType, "?k=3");

        var prediction = (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single();

        Assert.IsNull(prediction.FileName);
        AssertMatchesExpected(image, prediction.Top, k: 3);
    }

    [TestMethod]
    public async Task AMultipartUploadAnswersEachFileInOrder()
    {
        int[] order = [2, 0, 1];

        using var response = await PredictClient.PostFilesAsync(server.Client,
            order.Select(i => ($"image-{i}.bin", SavedModelFiles.Image(i))), "?k=2");
        var predictions = (await PredictClient.ReadPredictionsAsync(response)).Predictions;

        Assert.HasCount(order.Length, predictions);
        for (var p = 0; p < order.Length; p++)
        {
            Assert.AreEqual($"image-{order[p]}.bin", predictions[p].FileName);
            AssertMatchesExpected(order[p], predictions[p].Top, k: 2);
        }
    }

    [TestMethod]
    public async Task WithoutKTheTopThreeAreReturned()
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(1), "image/jpeg");

        AssertMatchesExpected(1, (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top, k: 3);
    }

    [TestMethod]
    public async Task KOfOneReturnsOnlyThePredictedLabel()
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), "image/png", "?k=1");

        var top = (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top;
        Assert.HasCount(1, top);
        Assert.AreEqual(Expected.Labels[0], top[0].Label);
    }

    [TestMethod]
    [DataRow("?k=0")]
    [DataRow("?k=4")]
    [DataRow("?k=-1")]
    [DataRow("?k=two")]
    [DataRow("?k=1.5")]
    [DataRow("?k=")]
    public async Task AnInvalidKIsRejectedWithTheAllowedRange(string query)
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), "image/png", query);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "k must be an integer from 1 to 3");
    }

    [TestMethod]
    public async Task TwoValuesOfKAreRejected()
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), "image/png", "?k=1&k=2");

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "2 values of k");
    }

    /// <summary>The top-k of the saved scores: labels in descending probability, probabilities within 1e-5.</summary>
    private static void AssertMatchesExpected(int image, IReadOnlyList<LabelProbability> top, int k)
    {
        var expected = Expected.Scores[image]
            .Select((score, c) => (Label: SavedModelFiles.ClassNames[c], Score: score))
            .OrderByDescending(p => p.Score)
            .Take(k)
            .ToArray();
        Assert.HasCount(k, top);
        Assert.AreEqual(Expected.Labels[image], top[0].Label, $"image {image}: predicted label");
        for (var i = 0; i < k; i++)
        {
            Assert.AreEqual(expected[i].Label, top[i].Label, $"image {image}, rank {i}");
            Assert.AreEqual(expected[i].Score, top[i].Probability, 1e-5f, $"image {image}, {expected[i].Label}");
        }
    }
}

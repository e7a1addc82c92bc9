using System.Net;
using Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>
/// Issue 20, item 1: a small upload that declares a huge image (a 182 KB PNG of 7,900 × 7,900 black pixels, 250 MB
/// decoded) is refused from its header with the server's own pixel limit, derived from the model, before any pixel is
/// decoded; the server goes on answering normal requests.
/// </summary>
[TestClass]
public class PixelBombTests
{
    // The checked-in model scores at 32 px (resize side 36), so its derived limit is the floor: 4,096².
    private const long DerivedLimit = 4096L * 4096;
    private static PredictionServer server = null!;
    private static readonly SavedModelFiles.Expected Expected = SavedModelFiles.ReadExpected();

    [ClassInitialize]
    public static async Task StartServer(TestContext _) => server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath);

    [ClassCleanup]
    public static async Task StopServer() => await server.DisposeAsync();

    [TestMethod]
    public async Task A62MegapixelPngOf182KilobytesIsRefusedFromItsHeader()
    {
        // Under the library's 64-megapixel default, so before the server had a limit of its own it was decoded (~3 s, ~600 MB).
        var bomb = PixelBomb.Png(7_900, 7_900);
        Assert.IsLessThan(200_000, bomb.Length, "the bomb is small");

        using var response = await PredictClient.PostRawAsync(server.Client, bomb, "image/png");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "7,900×7,900 = 62,410,000 pixels, more than this server accepts: 16,777,216");
        StringAssert.Contains(message, "MaxImagePixels");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task TheRefusalComesFromTheHeaderNotFromDecoding()
    {
        // The header alone, no pixel data: a decoder would report it truncated; only a header check names its size.
        using var response = await PredictClient.PostRawAsync(server.Client, PixelBomb.PngWithOneRow(7_900, 7_900), "image/png");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "62,410,000 pixels, more than this server accepts");
        Assert.DoesNotContain("truncated", message);
    }

    [TestMethod]
    public async Task TheLimitIsExactlyTheDerivedOne()
    {
        // One row over the limit is refused by size; exactly at it, the header passes and the (missing) pixels are decoded.
        using var over = await PredictClient.PostRawAsync(server.Client, PixelBomb.PngWithOneRow(4096, 4097), "image/png");
        using var at = await PredictClient.PostRawAsync(server.Client, PixelBomb.PngWithOneRow(4096, 4096), "image/png");

        StringAssert.Contains(await PredictClient.ReadProblemAsync(over, HttpStatusCode.BadRequest), $"more than this server accepts: {DerivedLimit:N0}");
        StringAssert.Contains(await PredictClient.ReadProblemAsync(at, HttpStatusCode.BadRequest), "truncated");
    }

    [TestMethod]
    public async Task ABombAmongGoodFilesIsNamedAndNothingIsScored()
    {
        var files = new[] { ("image-0.bin", SavedModelFiles.Image(0)), ("bomb.png", PixelBomb.PngWithOneRow(7_900, 7_900)) };

        using var response = await PredictClient.PostFilesAsync(server.Client, files);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "The file 'bomb.png' is 7,900×7,900");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AConfiguredLimitReplacesTheDerivedOne()
    {
        await using var strict = await PredictionServer.StartAsync(SavedModelFiles.ModelPath, "--MaxImagePixels", "100");
        var image = SavedModelFiles.Image(0);
        var size = EncodedImageSize.Read(image);
        Assert.IsGreaterThan(100L, size.Pixels, "the test image is over the configured limit");

        using var response = await PredictClient.PostRawAsync(strict.Client, image, "image/png");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, $"{size.Pixels:N0} pixels, more than this server accepts: 100 (MaxImagePixels, as configured)");
    }

    private static async Task AssertStillServingAsync()
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(2), "image/png", "?k=1");
        var top = (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top.Single();
        Assert.AreEqual(Expected.Labels[2], top.Label);
        Assert.AreEqual(Expected.Scores[2][2], top.Probability, 1e-5f);
    }
}

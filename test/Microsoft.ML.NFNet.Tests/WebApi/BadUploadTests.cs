using System.Net;
using System.Text;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>
/// Each bad upload gets a problem response whose message says what was wrong, and the same server then still answers
/// a good request with the saved scores.
/// </summary>
[TestClass]
public class BadUploadTests
{
    private const int SmallBodyLimit = 8 * 1024;
    private static PredictionServer server = null!;
    private static readonly SavedModelFiles.Expected Expected = SavedModelFiles.ReadExpected();

    [ClassInitialize]
    public static async Task StartServer(TestContext _) => server = await PredictionServer.StartAsync(SavedModelFiles.ModelPath,
        "--MaxRequestBodyBytes", SmallBodyLimit.ToString(), "--MaxImagesPerRequest", "3");

    [ClassCleanup]
    public static async Task StopServer() => await server.DisposeAsync();

    [TestMethod]
    public async Task TextSentAsAnImageIsNotAnImage()
    {
        var text = Encoding.UTF8.GetBytes("name,label\ncat.jpg,cat\n");

        using var response = await PredictClient.PostRawAsync(server.Client, text, "image/jpeg");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "not an image in a supported format");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task ATextFileInAMultipartUploadIsNamed()
    {
        var files = new[] { ("image-0.bin", SavedModelFiles.Image(0)), ("notes.txt", Encoding.UTF8.GetBytes("just some notes")) };

        using var response = await PredictClient.PostFilesAsync(server.Client, files);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "'notes.txt'");
        StringAssert.Contains(message, "not an image");
        await AssertStillServingAsync();
    }

    [TestMethod]
    [DataRow("image/png")]
    [DataRow("application/octet-stream")]
    public async Task AnEmptyBodyIsRejected(string contentType)
    {
        using var response = await PredictClient.PostRawAsync(server.Client, [], contentType);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "request body is empty");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task APostWithoutBodyOrContentTypeIsRejectedAsEmpty()
    {
        using var response = await server.Client.PostAsync("/predict", null);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "request body is empty");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AnEmptyFileInAMultipartUploadIsNamed()
    {
        using var response = await PredictClient.PostFilesAsync(server.Client, [("empty.png", [])]);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "'empty.png' is empty");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task ATruncatedJpegIsRejectedAsTruncated()
    {
        var jpeg = SavedModelFiles.Image(1);
        Assert.AreEqual(0xD8, jpeg[1], "image-1.bin is a JPEG");

        using var response = await PredictClient.PostRawAsync(server.Client, jpeg[..(jpeg.Length / 2)], "image/jpeg");

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "truncated");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AnImageOverThePixelLimitIsRejectedBeforeDecoding()
    {
        // A 761-byte JPEG whose header claims 10,000 × 10,000 pixels: over the server's limit (and the model's 64 megapixels).
        var bomb = JpegWithSize(SavedModelFiles.Image(1), width: 10_000, height: 10_000);

        using var response = await PredictClient.PostRawAsync(server.Client, bomb, "image/jpeg");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "100,000,000 pixels");
        // About the request: the server's own limit and what to send instead, not the trainer option behind the model's.
        StringAssert.Contains(message, "more than this server accepts: 16,777,216");
        StringAssert.Contains(message, "Downscale it");
        Assert.IsFalse(message.Contains(nameof(ImagePreprocessingOptions), StringComparison.Ordinal), message);
        Assert.IsFalse(message.Contains("raise the limit", StringComparison.Ordinal), message);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AThinStripIsRejectedAsTooElongatedForTheServer()
    {
        // A JPEG whose header claims 10,000 × 1 pixels: few pixels, but far more elongated than the model accepts.
        var strip = JpegWithSize(SavedModelFiles.Image(1), width: 10_000, height: 1);

        using var response = await PredictClient.PostRawAsync(server.Client, strip, "image/jpeg");

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "10,000×1 pixels");
        StringAssert.Contains(message, "more elongated than this server accepts");
        StringAssert.Contains(message, "Crop or pad the image");
        Assert.IsFalse(message.Contains(nameof(ImagePreprocessingOptions.MaxAspectRatio), StringComparison.Ordinal), message);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AMultipartFormWithoutFilesIsRejected()
    {
        using var form = new MultipartFormDataContent { { new StringContent("hello"), "comment" } };

        using var response = await server.Client.PostAsync("/predict", form);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest), "has no file");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task MoreFilesThanTheLimitAreRejected()
    {
        var files = Enumerable.Range(0, 4).Select(i => ($"copy-{i}.jpg", SavedModelFiles.Image(1)));

        using var response = await PredictClient.PostFilesAsync(server.Client, files);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        StringAssert.Contains(message, "4 files; at most 3");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task ABodyOverTheLimitGets413()
    {
        var tooLarge = new byte[SmallBodyLimit + 1];
        SavedModelFiles.Image(0).CopyTo(tooLarge, 0);

        var content = new ByteArrayContent(tooLarge) { Headers = { ContentType = new("image/png") } };

        using var response = await PostExpectingContinueAsync(content);

        var message = await PredictClient.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        StringAssert.Contains(message, "larger than the limit of 8,192 bytes");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AMultipartBodyOverTheLimitGets413()
    {
        var form = new MultipartFormDataContent();
        for (var i = 0; i < 3; i++)
            form.Add(new ByteArrayContent(new byte[SmallBodyLimit / 2]), "image", $"copy-{i}.png");

        using var response = await PostExpectingContinueAsync(form);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge), "larger than the limit");
        await AssertStillServingAsync();
    }

    [TestMethod]
    [DataRow("text/plain")]
    [DataRow("application/json")]
    public async Task AContentTypeThatCarriesNoImageGets415(string contentType)
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(0), contentType);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType), $"'{contentType}'");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task AUrlEncodedFormGets415()
    {
        using var form = new FormUrlEncodedContent([new("image", "photo.jpg")]);

        using var response = await server.Client.PostAsync("/predict", form);

        StringAssert.Contains(await PredictClient.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType), "multipart/form-data");
        await AssertStillServingAsync();
    }

    /// <summary>
    /// Sends the headers first and the body only after the server's 100 Continue, as curl does for large bodies: Kestrel
    /// answers 413 from the Content-Length alone and closes the connection, which a client still writing the body
    /// would see as a broken pipe instead of the response.
    /// </summary>
    private static Task<HttpResponseMessage> PostExpectingContinueAsync(HttpContent content) =>
        server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content, Headers = { ExpectContinue = true } });

    /// <summary>A good request right after a bad one still gets the saved answer.</summary>
    private static async Task AssertStillServingAsync()
    {
        using var response = await PredictClient.PostRawAsync(server.Client, SavedModelFiles.Image(2), "image/png", "?k=1");
        var top = (await PredictClient.ReadPredictionsAsync(response)).Predictions.Single().Top.Single();
        Assert.AreEqual(Expected.Labels[2], top.Label);
        Assert.AreEqual(Expected.Scores[2][2], top.Probability, 1e-5f);
    }

    /// <summary>A copy of a baseline JPEG with the frame header's (SOF0) dimensions replaced.</summary>
    private static byte[] JpegWithSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (var i = 2; i + 8 < copy.Length; i++)
        {
            if (copy[i] != 0xFF || copy[i + 1] != 0xC0)
                continue;
            // FF C0, length (2 bytes), precision (1), height (2), width (2), big-endian.
            copy[i + 5] = (byte)(height >> 8);
            copy[i + 6] = (byte)height;
            copy[i + 7] = (byte)(width >> 8);
            copy[i + 8] = (byte)width;
            return copy;
        }
        throw new InvalidOperationException("The JPEG has no baseline frame header (SOF0).");
    }
}

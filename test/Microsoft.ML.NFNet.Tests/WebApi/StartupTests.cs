using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.ML.NFNet.Samples.WebApi;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>What the server does when it cannot start, and with errors nobody expected.</summary>
[TestClass]
public class StartupTests
{
    [TestMethod]
    public void AMissingModelFileStopsStartupAndNamesThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-folder", "model.zip");

        var e = Assert.ThrowsExactly<ModelLoadException>(() => PredictionApi.Create(["--model", missing]));

        StringAssert.Contains(e.Message, missing);
        StringAssert.Contains(e.Message, "does not exist");
    }

    [TestMethod]
    public void NoModelSettingSaysHowToGiveOne()
    {
        var e = Assert.ThrowsExactly<ModelLoadException>(() => PredictionApi.Create([]));

        StringAssert.Contains(e.Message, "--model");
    }

    [TestMethod]
    public void AFileThatIsNotAModelStopsStartupWithTheReason()
    {
        var notAModel = Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-1", "expected.json");

        var e = Assert.ThrowsExactly<ModelLoadException>(() => PredictionApi.Create(["--model", notAModel]));

        StringAssert.Contains(e.Message, "could not be loaded");
        StringAssert.Contains(e.Message, notAModel);
    }

    [TestMethod]
    public void ADamagedModelZipNamesTheFileAndTheDamage()
    {
        using var folder = new Weights.TempFolder();
        var zip = File.ReadAllBytes(SavedModelFiles.ModelPath);
        var truncated = folder.File("truncated.zip");
        File.WriteAllBytes(truncated, zip[..(zip.Length / 2)]);
        var flipped = folder.File("flipped.zip");
        var weights = ZipLayout.Read(zip).Single(entry => entry.Name.EndsWith("/TorchWeights", StringComparison.Ordinal));
        zip[weights.DataStart + 100] ^= 0x10; // format 1 has no checksum: a flip in the deflate stream is what shows
        File.WriteAllBytes(flipped, zip);

        var cut = Assert.ThrowsExactly<ModelLoadException>(() => PredictionApi.Create(["--model", truncated]));
        var damaged = Assert.ThrowsExactly<ModelLoadException>(() => PredictionApi.Create(["--model", flipped]));

        StringAssert.StartsWith(cut.Message, $"The model file '{truncated}' could not be loaded: the zip file is corrupt or truncated");
        StringAssert.StartsWith(damaged.Message, $"The model file '{flipped}' could not be loaded: The 'TorchWeights' stream of the model is corrupt or truncated");
    }

    [TestMethod]
    [DataRow(nameof(ServingOptions.MaxImagesPerRequest), "0")]
    [DataRow(nameof(ServingOptions.MaxImagePixels), "0")]
    [DataRow(nameof(ServingOptions.MaxConcurrentScoring), "0")]
    [DataRow(nameof(ServingOptions.ScoringQueueTimeoutSeconds), "-1")]
    [DataRow(nameof(ServingOptions.ScoringQueueTimeoutSeconds), "NaN")]
    public void AnOutOfRangeLimitIsNamed(string setting, string value)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            PredictionApi.Create(["--model", SavedModelFiles.ModelPath, $"--{setting}", value]));

        Assert.AreEqual(setting, e.ParamName);
    }

    [TestMethod]
    public async Task AnUnexpectedErrorIsA500WithoutTheExceptionDetails()
    {
        var app = PredictionApi.Create(["--model", SavedModelFiles.ModelPath, "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default", "None"]);
        app.MapGet("/fail", IResult () => throw new InvalidOperationException("secret internal state"));
        await using var server = await PredictionServer.StartAsync(app);

        using var response = await server.Client.GetAsync("/fail");
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("secret internal state", body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.DoesNotContain(" at ", body);
        using var health = await server.Client.GetAsync("/health");
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
    }
}

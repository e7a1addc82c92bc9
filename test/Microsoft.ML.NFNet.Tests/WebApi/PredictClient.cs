using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>The two ways to upload to <c>/predict</c>, and reading the answers.</summary>
internal static class PredictClient
{
    public static Task<HttpResponseMessage> PostRawAsync(HttpClient client, byte[] body, string contentType, string query = "")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync("/predict" + query, content);
    }

    public static Task<HttpResponseMessage> PostFilesAsync(HttpClient client, IEnumerable<(string FileName, byte[] Bytes)> files,
        string query = "")
    {
        var form = new MultipartFormDataContent();
        foreach (var (fileName, bytes) in files)
            form.Add(new ByteArrayContent(bytes), "image", fileName);
        return client.PostAsync("/predict" + query, form);
    }

    public static async Task<PredictionResponse> ReadPredictionsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
        return JsonSerializer.Deserialize<PredictionResponse>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>Asserts a problem response with <paramref name="status"/> and returns its detail message.</summary>
    public static async Task<string> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(status, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, body);
        using var problem = JsonDocument.Parse(body);
        Assert.AreEqual((int)status, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.GetProperty("detail").GetString()!;
    }
}

using Microsoft.Extensions.Options;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// <c>POST /predict[?k=3]</c>: the top-k classes of each uploaded image. Client mistakes (a bad k, no image, bytes that
/// are not a decodable image, an image over the pixel limit) are answered with a problem response that says what was
/// wrong; the shared model is untouched by them. Images are checked against the server's pixel limit from their headers,
/// then scored in one of the <see cref="ServingOptions.MaxConcurrentScoring"/> slots; a request that finds none free in
/// time gets 503 with <c>Retry-After</c>.
/// </summary>
public static class PredictEndpoint
{
    /// <summary>Scores every image of the request with the shared model, one pooled engine at a time.</summary>
    public static async Task<IResult> HandleAsync(HttpRequest request, ImageClassifier classifier,
        IOptions<ServingOptions> options, ServingPixelLimit pixelLimit, ScoringGate gate, CancellationToken cancellationToken)
    {
        if (TopK.TryParse(request.Query["k"], classifier.Labels.Count, out var k) is { } kProblem)
            return Results.Problem(kProblem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid query parameter k");

        IReadOnlyList<UploadedImage> images;
        try
        {
            images = await ImageUploads.ReadAsync(request, options.Value, cancellationToken);
        }
        catch (UploadRejectedException e)
        {
            return Results.Problem(e.Message, statusCode: e.StatusCode, title: "Invalid upload");
        }

        if (UploadSizeCheck.Problem(images, pixelLimit) is { } sizeProblem)
            return Results.Problem(sizeProblem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid image");

        using var slot = await gate.EnterAsync(cancellationToken);
        if (slot is null)
        {
            request.HttpContext.Response.Headers.RetryAfter = ScoringGate.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(
                $"The server is scoring {options.Value.MaxConcurrentScoring} requests already and none finished within " +
                $"{options.Value.ScoringQueueTimeoutSeconds:0.#} s ({nameof(ServingOptions.MaxConcurrentScoring)}, " +
                $"{nameof(ServingOptions.ScoringQueueTimeoutSeconds)}). Retry after {ScoringGate.RetryAfterSeconds} s.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Server busy");
        }

        var predictions = new List<ImagePrediction>(images.Count);
        foreach (var image in images)
        {
            float[] probabilities;
            try
            {
                probabilities = classifier.Score(image.Bytes);
            }
            catch (InvalidImageException e)
            {
                return Results.Problem(ImageProblem.Describe(image, e, classifier.Preprocessing),
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid image");
            }
            predictions.Add(new ImagePrediction(image.FileName, TopK.Select(probabilities, classifier.Labels, k)));
        }
        return Results.Ok(new PredictionResponse(predictions));
    }
}

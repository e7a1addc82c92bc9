using Microsoft.Extensions.Options;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>
/// <c>POST /predict[?k=3]</c>: the top-k classes of each uploaded image. Client mistakes (a bad k, no image, bytes that
/// are not a decodable image, an image over the pixel limit) are answered with a problem response that says what was
/// wrong; the shared model is untouched by them.
/// </summary>
public static class PredictEndpoint
{
    /// <summary>Scores every image of the request with the shared model, one pooled engine at a time.</summary>
    public static async Task<IResult> HandleAsync(HttpRequest request, ImageClassifier classifier,
        IOptions<ServingOptions> options, CancellationToken cancellationToken)
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
                return Results.Problem(ImageProblem.Describe(image, e, classifier.ImageLimits),
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid image");
            }
            predictions.Add(new ImagePrediction(image.FileName, TopK.Select(probabilities, classifier.Labels, k)));
        }
        return Results.Ok(new PredictionResponse(predictions));
    }
}

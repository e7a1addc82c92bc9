using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>The <c>k</c> query parameter of <c>/predict</c> and the selection of the k best classes.</summary>
public static class TopK
{
    /// <summary>Classes returned when the request has no <c>k</c> (fewer if the model has fewer classes).</summary>
    public const int DefaultK = 3;

    /// <summary>Reads <c>k</c>: absent means <see cref="DefaultK"/>; otherwise one integer from 1 to the class count.</summary>
    /// <returns>Null when <paramref name="k"/> is valid, else a message saying what is wrong.</returns>
    public static string? TryParse(StringValues values, int classCount, out int k)
    {
        k = Math.Min(DefaultK, classCount);
        if (values.Count == 0)
            return null;
        if (values.Count > 1)
            return $"The query has {values.Count} values of k; give one.";
        if (!int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1 || parsed > classCount)
            return $"k must be an integer from 1 to {classCount} (the model's number of classes); got '{values[0]}'.";
        k = parsed;
        return null;
    }

    /// <summary>The <paramref name="k"/> highest probabilities with their labels, best first (ties in class order).</summary>
    public static IReadOnlyList<LabelProbability> Select(float[] probabilities, IReadOnlyList<string> labels, int k) =>
        probabilities
            .Select((probability, index) => new LabelProbability(labels[index], probability))
            .OrderByDescending(p => p.Probability)
            .Take(k)
            .ToArray();
}

namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>One mode at one training-set size over several seeds: mean test accuracy and its spread, mean training time.</summary>
public sealed record TransferSummary(int PerClass, TransferMode Mode, int Seeds, double Mean, double Min, double Max,
    double StandardDeviation, TimeSpan MeanDuration, double MeanEpochs)
{
    /// <summary>The results grouped by training-set size and mode, in the order they first appear.</summary>
    public static List<TransferSummary> Of(IEnumerable<TransferResult> results) => results
        .GroupBy(r => (r.PerClass, r.Mode))
        .Select(g =>
        {
            var accuracies = g.Select(r => r.Accuracy).ToArray();
            var mean = accuracies.Average();
            // Sample standard deviation (n − 1): the seeds are a sample of the runs a user could get.
            var sd = accuracies.Length > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1)) : 0;
            return new TransferSummary(g.Key.PerClass, g.Key.Mode, accuracies.Length, mean, accuracies.Min(), accuracies.Max(), sd,
                TimeSpan.FromSeconds(g.Average(r => r.Duration.TotalSeconds)), g.Average(r => r.Epochs));
        }).ToList();
}

using Microsoft.ML.NFNet.Samples.Consumption;

namespace Microsoft.ML.NFNet.Samples.Datasets;

/// <summary>Holds out the same fraction of every class, so a small validation set still has every class in it.</summary>
internal static class StratifiedSplit
{
    public static (List<ModelInput> Train, List<ModelInput> Validation) Split(IReadOnlyList<ModelInput> rows, double validationFraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<ModelInput>();
        var validation = new List<ModelInput>();
        foreach (var group in rows.GroupBy(r => r.Label))
        {
            var shuffled = group.OrderBy(_ => random.Next()).ToList();
            var held = (int)Math.Round(shuffled.Count * validationFraction);
            validation.AddRange(shuffled.Take(held));
            train.AddRange(shuffled.Skip(held));
        }
        return (train, validation);
    }
}

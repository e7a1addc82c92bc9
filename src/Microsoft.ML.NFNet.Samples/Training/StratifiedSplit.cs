namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>Holds out the same fraction of every class, so a small validation set still has every class in it.</summary>
public static class StratifiedSplit
{
    public static (List<MLModel.ModelInput> Train, List<MLModel.ModelInput> Validation) Split(
        IReadOnlyList<MLModel.ModelInput> rows, double validationFraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<MLModel.ModelInput>();
        var validation = new List<MLModel.ModelInput>();
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

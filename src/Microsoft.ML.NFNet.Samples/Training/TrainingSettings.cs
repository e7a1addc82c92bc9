namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>The training knobs of the command line. Null means automatic: the trainer chooses the value from the data
/// (and says why in the model's <c>Training.AutomaticChoices</c>).</summary>
public sealed record TrainingSettings(string Architecture, int? Epochs, int? ImageSize, int BatchSize, int Seed,
    double? LearningRate = null)
{
    /// <summary>What a newcomer passes: nothing but the seed.</summary>
    public static readonly TrainingSettings Defaults = new("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1);

    /// <summary>Throws <see cref="Cli.UsageException"/>, naming the option, for a value out of range.</summary>
    public void Validate()
    {
        if (!NFNetConfig.KnownVariants.Contains(Architecture, StringComparer.OrdinalIgnoreCase))
            throw new Cli.UsageException($"--arch: unknown architecture '{Architecture}'. Known: {string.Join(", ", NFNetConfig.KnownVariants)}.");
        if (Epochs < 1)
            throw new Cli.UsageException("--epochs must be at least 1.");
        if (ImageSize is < 32 or > 1024)
            throw new Cli.UsageException("--image-size must be between 32 and 1024.");
        if (BatchSize < 1)
            throw new Cli.UsageException("--batch-size must be at least 1.");
        if (LearningRate is <= 0 or > 10)
            throw new Cli.UsageException("--learning-rate must be in (0, 10].");
    }
}

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>The knobs the sample exposes on the command line. Null means automatic: the trainer chooses the value from
/// the data (and logs why). CropScaleMin = smallest area share kept by the random resized crop.</summary>
internal sealed record TrainingSettings(string Architecture, int? Epochs, int? ImageSize, int BatchSize, int Seed,
    double? LearningRate = null, double? CropScaleMin = null)
{
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

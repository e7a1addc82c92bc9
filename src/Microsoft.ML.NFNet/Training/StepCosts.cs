namespace Microsoft.ML.NFNet;

/// <summary>
/// What one image costs on this machine, measured at <paramref name="ImageSize"/>: a training step of the whole network
/// (forward and backward) and a forward pass without gradients (feature extraction, validation). Other sizes are
/// estimated in proportion to the pixels, as convolutions cost.
/// </summary>
/// <param name="ImageSize">The side the costs were measured at.</param>
/// <param name="TrainSecondsPerImage">Seconds per image of a whole-network training step.</param>
/// <param name="ForwardSecondsPerImage">Seconds per image of a forward pass without gradients.</param>
internal sealed record StepCosts(int ImageSize, double TrainSecondsPerImage, double ForwardSecondsPerImage)
{
    /// <summary>Seconds per image of a whole-network training step at <paramref name="size"/>.</summary>
    public double TrainSecondsAt(int size) => TrainSecondsPerImage * Scale(size);

    /// <summary>Seconds per image of a forward pass at <paramref name="size"/>.</summary>
    public double ForwardSecondsAt(int size) => ForwardSecondsPerImage * Scale(size);

    private double Scale(int size) => (double)size * size / ((double)ImageSize * ImageSize);
}

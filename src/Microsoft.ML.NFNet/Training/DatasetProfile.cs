namespace Microsoft.ML.NFNet;

/// <summary>What the one pass over a training set learned about it: what the automatic settings are chosen from.</summary>
/// <param name="ImageCount">Images that can be trained on (undecodable ones left out).</param>
/// <param name="ClassCount">Classes of the data source.</param>
/// <param name="SmallestClass">Images of the rarest class present.</param>
/// <param name="LargestClass">Images of the most frequent class.</param>
/// <param name="MedianWidth">Median width in pixels (after EXIF orientation).</param>
/// <param name="MedianHeight">Median height in pixels.</param>
/// <param name="GrayscaleFraction">Fraction of the images stored as grayscale (as their headers say; for an image the check
/// decodes: whose three colour channels are identical).</param>
public sealed record DatasetProfile(int ImageCount, int ClassCount, int SmallestClass, int LargestClass,
    int MedianWidth, int MedianHeight, double GrayscaleFraction)
{
    /// <summary>A one-line description for the log.</summary>
    public override string ToString() =>
        $"{ImageCount:N0} images, {ClassCount} classes ({SmallestClass:N0}–{LargestClass:N0} per class), " +
        $"median {MedianWidth}×{MedianHeight} px, {GrayscaleFraction:P0} grayscale";
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// Random access to labeled encoded images: what the training engine reads. Implementations must allow concurrent
/// reads (batches are prepared on a background thread).
/// </summary>
public interface IImageDataSource
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Number of classes; labels are in [0, ClassCount).</summary>
    int ClassCount { get; }

    /// <summary>The image at <paramref name="index"/>.</summary>
    LabeledImage this[int index] { get; }

    /// <summary>Where the image at <paramref name="index"/> came from, for error messages (e.g. "row 17", a file path).</summary>
    string Describe(int index);
}

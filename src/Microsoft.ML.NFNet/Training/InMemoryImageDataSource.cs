namespace Microsoft.ML.NFNet;

/// <summary>Labeled encoded images held in memory. Made by <see cref="ImageDataSource.FromMemory"/>.</summary>
internal sealed class InMemoryImageDataSource : ImageDataSource
{
    private readonly IReadOnlyList<LabeledImage> images;
    private readonly Func<int, string> describe;

    /// <param name="images">The images.</param>
    /// <param name="classCount">Number of classes; every label must be in [0, classCount).</param>
    /// <param name="describe">Names an image for error messages; default "image {index}".</param>
    public InMemoryImageDataSource(IReadOnlyList<LabeledImage> images, int classCount, Func<int, string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        this.images = images;
        this.describe = describe ?? (i => $"image {i}");
        ClassCount = classCount;
        for (var i = 0; i < images.Count; i++)
            if (images[i].Label < 0 || images[i].Label >= classCount)
                throw new ArgumentException($"{this.describe(i)} has label {images[i].Label}, outside [0, {classCount}).", nameof(images));
    }

    /// <inheritdoc />
    public override int Count => images.Count;

    /// <inheritdoc />
    public override int ClassCount { get; }

    /// <inheritdoc />
    public override LabeledImage this[int index] => images[index];

    /// <inheritdoc />
    public override string Describe(int index) => describe(index);
}

namespace Microsoft.ML.NFNet;

/// <summary>The images of an <see cref="EncodedImageStore"/> (all, or a subset such as a validation split) as a data
/// source. The store owns the memory or temp file: dispose the store, not the views.</summary>
internal sealed class StoredImageDataSource : ImageDataSource
{
    private readonly EncodedImageStore store;
    private readonly int[]? indices;
    private readonly Func<int, string> describe;

    /// <param name="store">The images.</param>
    /// <param name="classCount">Number of classes; the store's labels are in [0, classCount).</param>
    /// <param name="describe">Names an image, by its index in the store, for error messages.</param>
    public StoredImageDataSource(EncodedImageStore store, int classCount, Func<int, string> describe)
        : this(store, null, classCount, describe)
    {
    }

    private StoredImageDataSource(EncodedImageStore store, int[]? indices, int classCount, Func<int, string> describe)
    {
        this.store = store;
        this.indices = indices;
        this.describe = describe;
        ClassCount = classCount;
    }

    /// <inheritdoc />
    public override int Count => indices?.Length ?? store.Count;

    /// <inheritdoc />
    public override int ClassCount { get; }

    /// <inheritdoc />
    public override LabeledImage this[int index]
    {
        get
        {
            var stored = StoreIndex(index);
            return new LabeledImage(store.Encoded(stored), store.Label(stored));
        }
    }

    /// <summary>The label of image <paramref name="index"/>, without reading its bytes.</summary>
    public int Label(int index) => store.Label(StoreIndex(index));

    /// <inheritdoc />
    public override string Describe(int index) => describe(StoreIndex(index));

    /// <summary>The images at <paramref name="subset"/> (indices into this source), keeping their descriptions.</summary>
    public StoredImageDataSource Subset(IEnumerable<int> subset) =>
        new(store, subset.Select(StoreIndex).ToArray(), ClassCount, describe);

    private int StoreIndex(int index) => indices is null ? index : indices[index];
}

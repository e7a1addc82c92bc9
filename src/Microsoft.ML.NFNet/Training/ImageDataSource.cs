namespace Microsoft.ML.NFNet;

/// <summary>
/// Random access to labeled encoded images: what the training engine reads. Make one with <see cref="FromFolder"/>
/// or <see cref="FromMemory"/>, or derive from it for another store. Implementations must allow concurrent reads
/// (batches are prepared on background threads).
/// </summary>
public abstract class ImageDataSource
{
    /// <summary>Number of images.</summary>
    public abstract int Count { get; }

    /// <summary>Number of classes; labels are in [0, ClassCount).</summary>
    public abstract int ClassCount { get; }

    /// <summary>The image at <paramref name="index"/>.</summary>
    public abstract LabeledImage this[int index] { get; }

    /// <summary>Where the image at <paramref name="index"/> came from, for error messages (e.g. "row 17", a file path).</summary>
    public virtual string Describe(int index) => $"image {index}";

    /// <summary>The class names, index = label, when the source knows them (a folder's sub-folder names); else null.</summary>
    public virtual IReadOnlyList<string>? ClassNames => null;

    /// <summary>The file extensions <see cref="FromFolder"/> reads as images (every format the decoders support),
    /// case-insensitive.</summary>
    public static IReadOnlySet<string> ImageExtensions => ImageFolderDataSource.ImageExtensions;

    /// <summary>
    /// Images stored one folder per class (<c>root/&lt;class name&gt;/*.png|jpg|...</c>), the layout most image datasets
    /// use. Classes are the sub-folder names in ordinal order (or <paramref name="classNames"/>'s order); the folders are
    /// scanned now, the files are read when an image is asked for.
    /// </summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="classNames">Fix the class order (e.g. a model's labels); null = the sub-folders in ordinal order.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, or a class folder without images, or an unknown class.</exception>
    public static ImageDataSource FromFolder(string root, IReadOnlyList<string>? classNames = null) =>
        ImageFolderDataSource.Load(root, classNames);

    /// <summary>Labeled encoded images held in memory.</summary>
    /// <param name="images">The images.</param>
    /// <param name="classCount">Number of classes; every label must be in [0, classCount).</param>
    /// <param name="describe">Names an image for error messages; default "image {index}".</param>
    /// <exception cref="ArgumentException">A label is outside [0, classCount).</exception>
    public static ImageDataSource FromMemory(IReadOnlyList<LabeledImage> images, int classCount, Func<int, string>? describe = null) =>
        new InMemoryImageDataSource(images, classCount, describe);
}

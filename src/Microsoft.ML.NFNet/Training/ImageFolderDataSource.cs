namespace Microsoft.ML.NFNet;

/// <summary>
/// Images stored one folder per class (<c>root/&lt;class name&gt;/*.png|jpg|...</c>), the layout most image datasets use.
/// Classes are the sub-folder names in ordinal order; files are read lazily. Made by <see cref="ImageDataSource.FromFolder"/>.
/// </summary>
internal sealed class ImageFolderDataSource : ImageDataSource
{
    /// <summary>The file extensions read as images, case-insensitive: every format the decoders support (JPEG, PNG,
    /// BMP, GIF, WEBP, ICO/CUR, WBMP, TIFF), and the ones they refuse by name (TGA, Netpbm, QOI), so that such a file
    /// fails with a message that names it and says to convert it to PNG instead of being left out unseen.</summary>
    public static new IReadOnlySet<string> ImageExtensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ico", ".cur", ".wbmp", ".tif", ".tiff",
        ".tga", ".pbm", ".pgm", ".ppm", ".pnm", ".qoi",
    };

    private readonly (string Path, int Label)[] files;

    private ImageFolderDataSource(IReadOnlyList<string> classNames, (string Path, int Label)[] files)
    {
        ClassNames = classNames;
        this.files = files;
    }

    /// <summary>Class names, index = label.</summary>
    public override IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public override int Count => files.Length;

    /// <inheritdoc />
    public override int ClassCount => ClassNames.Count;

    /// <summary>The file of every image, in order.</summary>
    public IEnumerable<(string Path, int Label)> Files => files;

    /// <inheritdoc />
    public override LabeledImage this[int index] => new(File.ReadAllBytes(files[index].Path), files[index].Label);

    /// <inheritdoc />
    public override string Describe(int index) => files[index].Path;

    /// <summary>Scans <paramref name="root"/>: one sub-folder per class, image files by extension.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="classNames">Fix the class order (e.g. a model's labels); null = the sub-folders in ordinal order.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, or a class folder without images, or an unknown class.</exception>
    public static ImageFolderDataSource Load(string root, IReadOnlyList<string>? classNames = null)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        var folders = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        if (folders.Length == 0)
            throw new InvalidDataException($"'{root}' has no class sub-folders; expected one sub-folder of images per class.");
        var names = classNames ?? folders;
        var unknown = folders.Except(names).ToArray();
        if (unknown.Length > 0)
            throw new InvalidDataException($"'{root}' has folders that are not classes of the model: {string.Join(", ", unknown)}.");
        var files = new List<(string, int)>();
        foreach (var folder in folders)
        {
            var images = Directory.EnumerateFiles(Path.Combine(root, folder))
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"Class folder '{Path.Combine(root, folder)}' has no images ({string.Join(", ", ImageExtensions)}).");
            var label = names.ToList().IndexOf(folder);
            files.AddRange(images.Select(f => (f, label)));
        }
        return new ImageFolderDataSource(names, files.ToArray());
    }
}

using Microsoft.ML.NFNet.Samples.Consumption;

namespace Microsoft.ML.NFNet.Samples.Datasets;

/// <summary>Reads a folder-per-class image dataset into <see cref="ModelInput"/> rows (label = folder name).</summary>
internal static class LabeledImageFolder
{
    /// <param name="root">One sub-folder of images per class.</param>
    /// <param name="minimumClasses">2 for training (a classifier needs two classes); 1 for evaluation.</param>
    public static List<ModelInput> Load(string root, int minimumClasses)
    {
        // The library's loader checks the layout (missing folder, empty class folders) and knows the image extensions.
        var source = ImageFolderDataSource.Load(root);
        if (source.ClassCount < minimumClasses)
            throw new InvalidDataException(
                $"'{root}' has {source.ClassCount} class folder(s); training needs at least {minimumClasses} (one sub-folder per class).");
        return source.Files
            .Select(f => new ModelInput { Label = source.ClassNames[f.Label], ImageSource = File.ReadAllBytes(f.Path) })
            .ToList();
    }
}

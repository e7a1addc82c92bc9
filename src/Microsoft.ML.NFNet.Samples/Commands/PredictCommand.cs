using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Consumption;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>predict</c> command: top-k labels for image files, or every image in folders.</summary>
internal static class PredictCommand
{
    public const string Help = """
        Usage: predict --model <model.zip> [--top 3] <image file or folder>...

        Prints the --top most likely classes, with scores, of every image given (folders: every image inside,
        recursively).
        """;

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    public static int Run(CommandArguments args)
    {
        var modelPath = ModelFile.Require(args);
        var top = args.Int("top", 3);
        args.RejectUnknown();
        if (top < 1)
            throw new UsageException("--top must be at least 1.");
        if (args.Positional.Count == 0)
            throw new UsageException("predict needs at least one image file or folder.");
        var images = args.Positional.SelectMany(ExpandImages).ToList();

        using var classifier = new NFNetImageClassifier(modelPath);
        var table = new Table().AddColumns("image", $"top-{top} predictions");
        foreach (var image in images)
            table.AddRow(Markup.Escape(image), PredictionFormatter.TopK(classifier.PredictTopK(ReadImage(image), top)));
        AnsiConsole.Write(table);
        return 0;
    }

    private static IEnumerable<string> ExpandImages(string path)
    {
        if (File.Exists(path))
            return [path];
        if (!Directory.Exists(path))
            throw new FileNotFoundException(null, path);
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new InvalidDataException($"Folder '{path}' has no images.");
    }

    // The model's error names no file, so say which image could not be read.
    private static byte[] ReadImage(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new InvalidDataException($"'{path}' is empty, not an image.");
        return bytes;
    }
}

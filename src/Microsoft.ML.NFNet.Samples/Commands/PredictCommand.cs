using System.CommandLine;
using System.Globalization;
using Microsoft.ML.NFNet.Samples.Cli;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>predict</c> command: the most likely labels of image files, or of every image in folders, through
/// <see cref="MLModel.PredictAllLabels"/>.</summary>
internal sealed class PredictCommand : System.CommandLine.Command
{
    private readonly Option<string> model = TrainingOptions.Model();
    private readonly Option<int> top = CliOptions.Single("--top", "How many of the most likely classes to print per image",
        ValueParsers.Int(min: 1), "k", () => 3);
    private readonly Argument<string[]> images = new("images")
    {
        Description = "Image files, or folders (every image inside, recursively)",
        Arity = ArgumentArity.OneOrMore,
    };

    public PredictCommand() : base("predict", "Classifies image files or folders with a saved model (the top labels with scores).")
    {
        images.Validators.Add(result =>
        {
            foreach (var path in result.Tokens.Select(t => t.Value).Where(p => !File.Exists(p) && !Directory.Exists(p)))
                result.AddError($"images: '{path}' is neither a file nor a folder.");
        });
        Options.Add(model);
        Options.Add(top);
        Arguments.Add(images);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What <c>predict</c> is asked to do.</summary>
    public sealed record Request(string Model, int Top, IReadOnlyList<string> Images);

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public Request Bind(ParseResult result) => new(result.GetValue(model)!, result.GetValue(top), result.GetValue(images)!);

    /// <summary>"Sneaker 91.2 %, Sandal 6.0 %, ...", the true label (when known) in green.</summary>
    public static string Format(IEnumerable<KeyValuePair<string, float>> predictions, string? expected = null) =>
        string.Join(", ", predictions.Select(p =>
        {
            var text = Markup.Escape(p.Key) + " " + p.Value.ToString("P1", CultureInfo.InvariantCulture);
            return p.Key == expected ? $"[green]{text}[/]" : text;
        }));

    private static int Run(Request request)
    {
        var images = request.Images.SelectMany(ExpandImages).ToList();
        MLModel.MLNetModelPath = Path.GetFullPath(request.Model);
        var table = new Table().AddColumns("image", $"top-{request.Top} predictions");
        foreach (var image in images)
        {
            var input = new MLModel.ModelInput { ImageSource = ReadImage(image) };
            table.AddRow(Markup.Escape(image), Format(MLModel.PredictAllLabels(input).Take(request.Top)));
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static IEnumerable<string> ExpandImages(string path)
    {
        if (File.Exists(path))
            return [path];
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => ImageDataSource.ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new InvalidDataException($"Folder '{path}' has no images.");
    }

    // The model's error names no file, so say which image could not be read.
    private static byte[] ReadImage(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.Length > 0 ? bytes : throw new InvalidDataException($"'{path}' is empty, not an image.");
    }
}

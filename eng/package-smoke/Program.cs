// The Program.cs of the console app that eng/package-smoke-test.sh creates with `dotnet new console` outside the
// repository. Not built inside the repository: it compiles only against the packed Microsoft.ML.NFNet package.
//   train <folder>    generates two classes of solid-colour PNGs, runs the README's pipeline (smallest from-scratch
//                     settings), saves <folder>/model.zip and the predictions it makes for a probe set
//   predict <folder>  a second process: loads model.zip with ML.NET alone (no NFNet type is named) and checks that it
//                     predicts exactly what the training process predicted
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.NFNet;
using SkiaSharp;

if (args.Length != 2 || args[0] is not ("train" or "predict"))
{
    Console.Error.WriteLine("usage: train <folder> | predict <folder>");
    return 2;
}
var folder = args[1];
var modelPath = Path.Combine(folder, "model.zip");
var expectedPath = Path.Combine(folder, "expected-predictions.tsv");
var mlContext = new MLContext(seed: 1);

if (args[0] == "train")
{
    Directory.CreateDirectory(folder);
    var imagesFolder = Path.Combine(folder, "images");
    GeneratedImages.Write(imagesFolder, perClass: 8, seed: 1);

    // The README's pipeline: images/<class name>/*.png → rows of (Label, encoded bytes).
    var rows = Directory.GetFiles(imagesFolder, "*", SearchOption.AllDirectories).Order().Select(path => new ModelInput
        { Label = Path.GetFileName(Path.GetDirectoryName(path)!), ImageSource = File.ReadAllBytes(path) });
    IDataView train = mlContext.Data.LoadFromEnumerable(rows);
    var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
        .Append(mlContext.MulticlassClassification.Trainers.NFNet(new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            Architecture = NFNetConfig.Variant("nfnet_tiny"),
            ValidationSetFraction = 0,
            Training = new() { Epochs = 2, BatchSize = 8, Preprocessing = new() { ImageSize = 32 } },
        }))
        .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    ITransformer model = pipeline.Fit(train);
    mlContext.Model.Save(model, train.Schema, modelPath);

    var predictions = Predict(model, GeneratedImages.Probes());
    File.WriteAllLines(expectedPath, predictions.Select(p => p.ToLine()));
    Console.WriteLine($"trained and saved {modelPath} ({new FileInfo(modelPath).Length:N0} bytes); probe predictions: "
        + string.Join(", ", predictions.Select(p => p.Label)));
    return 0;
}

// predict: a fresh process that knows the model only as a file.
ITransformer loaded = mlContext.Model.Load(modelPath, out _);
var actual = Predict(loaded, GeneratedImages.Probes());
var expected = File.ReadAllLines(expectedPath).Select(Prediction.Parse).ToArray();
var failures = 0;
for (var i = 0; i < expected.Length; i++)
{
    var same = i < actual.Length && actual[i].Label == expected[i].Label
        && actual[i].Scores.Length == expected[i].Scores.Length
        && actual[i].Scores.Zip(expected[i].Scores).All(s => Math.Abs(s.First - s.Second) <= 1e-5f);
    Console.WriteLine($"probe {i} ({GeneratedImages.ProbeClass(i)}): predicted {(i < actual.Length ? actual[i].Label : "nothing")}"
        + (same ? "" : $", but the training process predicted {expected[i].Label}"));
    if (!same) failures++;
}
if (actual.Length != expected.Length || failures > 0)
{
    Console.Error.WriteLine($"the loaded model's predictions differ from the training process's on {failures} of {expected.Length} probes");
    return 1;
}
Console.WriteLine($"loaded {modelPath} in a second process: {actual.Length} predictions identical to the training process's");
return 0;

Prediction[] Predict(ITransformer model, IEnumerable<byte[]> images)
{
    using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
    return images.Select(image => engine.Predict(new ModelInput { ImageSource = image }))
        .Select(output => new Prediction(output.PredictedLabel, output.Score)).ToArray();
}

/// <summary>Model Builder's input class: a class name and the image file's bytes.</summary>
internal sealed class ModelInput
{
    public string Label { get; set; } = "";
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>Model Builder's output class.</summary>
internal sealed class ModelOutput
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

internal sealed record Prediction(string Label, float[] Scores)
{
    public string ToLine() => Label + "\t" + string.Join(" ", Scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));

    public static Prediction Parse(string line)
    {
        var parts = line.Split('\t');
        return new Prediction(parts[0], parts[1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray());
    }
}

/// <summary>Two classes of 32 px solid-colour PNGs with pixel noise, drawn with SkiaSharp (a dependency of the package).</summary>
internal static class GeneratedImages
{
    private static readonly (string Name, SKColor Colour)[] Classes = [("red", new(220, 40, 40)), ("blue", new(40, 60, 220))];

    public static void Write(string folder, int perClass, int seed)
    {
        foreach (var (name, colour) in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            for (var i = 0; i < perClass; i++)
                File.WriteAllBytes(Path.Combine(folder, name, $"{i:D2}.png"), Png(colour, seed * 1000 + i));
        }
    }

    /// <summary>Unseen images, alternating red and blue.</summary>
    public static IEnumerable<byte[]> Probes() => Enumerable.Range(0, 4).Select(i => Png(Classes[i % 2].Colour, 9000 + i));

    public static string ProbeClass(int index) => Classes[index % 2].Name;

    private static byte[] Png(SKColor colour, int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(32, 32);
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
        {
            byte Jitter(byte v) => (byte)Math.Clamp(v + random.Next(-30, 31), 0, 255);
            bitmap.SetPixel(x, y, new SKColor(Jitter(colour.Red), Jitter(colour.Green), Jitter(colour.Blue)));
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

// Fit with PretrainedWeights = random-init weights saved in timm's format (the hub is not reachable here; the time and
// memory do not depend on the values), default options otherwise, on generated images of N classes; prints the wall
// time, the CPU time of all threads (on a shared machine, CPU time / cores estimates the wall time alone), the peak
// resident memory, the load averages and the trainer's log (the automatic choices and why).
//   --variant eca_nfnet_l0 --images 1000 --classes 10 --side 64 [--parts all|head|laststages] [--epochs N]
//   [--max-minutes M] [--image-size S] [--batch B] [--micro-batch M] [--test 500]
var variant = Arg("--variant", "eca_nfnet_l0");
var images = int.Parse(Arg("--images", "1000"), CultureInfo.InvariantCulture);
var classes = int.Parse(Arg("--classes", "10"), CultureInfo.InvariantCulture);
var side = int.Parse(Arg("--side", "64"), CultureInfo.InvariantCulture);
var testImages = int.Parse(Arg("--test", "0"), CultureInfo.InvariantCulture);

var weights = Path.Combine(Path.GetTempPath(), $"finetune-bench-{variant}.safetensors");
if (!File.Exists(weights))
{
    using var random = new NFNetModel(NFNetConfig.Variant(variant), 1000);
    random.SaveWeights(weights);
}
GC.Collect();

var training = new NFNetTrainingOptions();
if (Has("--parts"))
    training.TrainableParts = Enum.Parse<NFNetTrainableParts>(Arg("--parts", "all"), ignoreCase: true);
if (Has("--epochs"))
    training.Epochs = int.Parse(Arg("--epochs", "1"), CultureInfo.InvariantCulture);
if (Has("--max-minutes"))
    training.MaxTrainingTime = TimeSpan.FromMinutes(double.Parse(Arg("--max-minutes", "10"), CultureInfo.InvariantCulture));
if (Has("--image-size"))
    training.Preprocessing.ImageSize = int.Parse(Arg("--image-size", "224"), CultureInfo.InvariantCulture);
if (Has("--batch"))
    training.BatchSize = int.Parse(Arg("--batch", "32"), CultureInfo.InvariantCulture);
if (Has("--micro-batch"))
    training.MicroBatchSize = int.Parse(Arg("--micro-batch", "8"), CultureInfo.InvariantCulture);

var mlContext = new MLContext(seed: 1);
var clock = Stopwatch.StartNew();
mlContext.Log += (_, e) =>
{
    if (e.Kind != Microsoft.ML.Runtime.ChannelMessageKind.Trace && e.Source.Contains("NFNet", StringComparison.Ordinal)
        && !IsBatchProgress(e.Message))
        Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,6:0} s, {RssMiB("VmRSS"),5:0} MiB] {e.Message}");
};
var data = mlContext.Data.LoadFromEnumerable(Generate(images, seed: 1));
var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(mlContext.MulticlassClassification.Trainers.NFNet(new NFNetImageClassificationTrainer.Options
    {
        FeatureColumnName = "Image",
        PretrainedWeights = weights,
        Training = training,
    }));
Console.WriteLine($"{variant}, {images:N0} images of {classes} classes at {side} px; load average {LoadAverage()}; " +
    $"{Environment.ProcessorCount} cores");
clock.Restart();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var model = pipeline.Fit(data);
var wall = clock.Elapsed;
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT variant={variant} images={images} fit_s={wall.TotalSeconds:0} cpu_s={cpu.TotalSeconds:0} peak_rss_mib={RssMiB("VmHWM"):0} load=\"{LoadAverage()}\""));
if (testImages > 0)
{
    var test = model.Transform(mlContext.Data.LoadFromEnumerable(Generate(testImages, seed: 2)));
    var metrics = mlContext.MulticlassClassification.Evaluate(test);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {metrics.MicroAccuracy:P1} on {testImages} images"));
}
return 0;

// Class c: a disc of its own colour and size at a random place on a noisy background.
IEnumerable<Row> Generate(int count, int seed)
{
    var random = new Random(seed);
    for (var i = 0; i < count; i++)
    {
        var label = i % classes;
        using var image = new Image<Rgb24>(side, side);
        var (r, g, b) = ((byte)(40 + 200 * (label % 3) / 2), (byte)(40 + 200 * (label / 3 % 3) / 2), (byte)(60 + 190 * label / classes));
        var radius = side * (0.15 + 0.2 * (label % 2));
        double cx = random.Next(side / 4, 3 * side / 4), cy = random.Next(side / 4, 3 * side / 4);
        for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
            {
                var inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
                var noise = random.Next(-30, 30);
                image[x, y] = inside
                    ? new Rgb24(Clamp(r + noise), Clamp(g + noise), Clamp(b + noise))
                    : new Rgb24(Clamp(128 + noise), Clamp(128 + noise), Clamp(128 + noise));
            }
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        yield return new Row { Image = stream.ToArray(), Label = $"class{label}" };
    }
}

static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

static double RssMiB(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    return double.NaN;
}

// The per-batch progress lines ("epoch 1/10 batch 3/6: loss …"), not the settings that mention a batch.
static bool IsBatchProgress(string message) => Regex.IsMatch(message, @"\bbatch \d+/\d+:");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

bool Has(string name) => args.Contains(name);

string Arg(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

internal sealed class Row
{
    public byte[] Image { get; set; } = [];

    public string Label { get; set; } = "";
}

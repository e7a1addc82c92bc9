using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.NFNet;
using SkiaSharp;

// Peak resident memory of one Fit, one run per process (eng/memory-bench.sh runs them and compares):
//   generate ROOT COUNT        COUNT JPEGs of 256×256 (~50 KB) in ROOT/class0..class9 (image i is the same in every set)
//   engine ROOT                ImageDataSource.FromFolder + NFNetTrainingEngine.Train (files read when used)
//   memory ROOT                every file read into ImageDataSource.FromMemory first: the in-memory reference
//   mlnet ROOT [BUDGET_MB]     an IDataView of file paths, LoadRawImageBytes, MapValueToKey, Trainers.NFNet; BUDGET_MB
//                              sets how many MB of encoded images it keeps in memory (default: the library's)
// All train nfnet_tiny from scratch, 1 epoch at 64 px, seed 1. Prints one "RESULT" line: peak RSS (VmHWM), seconds,
// process CPU seconds, images/s of the epoch, the load average; and the log lines that say where the data is.
// MEMORY_TRACE=1 also samples RSS every 50 ms and prints the largest sample of each phase (a phase starts at a log line).
if (args.Length < 2)
{
    Console.WriteLine("usage: generate ROOT COUNT | engine ROOT | memory ROOT | mlnet ROOT [BUDGET_MB]");
    return 1;
}
const int Classes = 10, Side = 256;
using var trace = Environment.GetEnvironmentVariable("MEMORY_TRACE") == "1" ? new PhaseTrace() : null;
PhaseTrace.Current = trace;
switch (args[0])
{
    case "generate": Generate(args[1], int.Parse(args[2])); return 0;
    case "engine": return Engine(args[1], inMemory: false);
    case "memory": return Engine(args[1], inMemory: true);
    case "mlnet": return MLNet(args[1], args.Length > 2 ? long.Parse(args[2]) : null);
    default: Console.WriteLine($"unknown mode {args[0]}"); return 1;
}

static void Generate(string root, int count)
{
    Parallel.For(0, count, i =>
    {
        var label = i % Classes;
        var path = Path.Combine(root, $"class{label}", $"{i:D6}.jpg");
        if (File.Exists(path))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(i);
        using var bitmap = new SKBitmap(Side, Side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[Side * Side * 4];
        // A class-coloured gradient with pixel noise: what makes a 256 px JPEG about 50 KB at quality 95.
        var (r, g, b) = (label * 25, 255 - label * 25, label * 97 % 256);
        for (var y = 0; y < Side; y++)
        for (var x = 0; x < Side; x++)
        {
            var o = (y * Side + x) * 4;
            pixels[o] = (byte)Math.Clamp(r + x / 4 + random.Next(-48, 49), 0, 255);
            pixels[o + 1] = (byte)Math.Clamp(g - y / 4 + random.Next(-48, 49), 0, 255);
            pixels[o + 2] = (byte)Math.Clamp(b + (x + y) / 8 + random.Next(-48, 49), 0, 255);
            pixels[o + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllBytes(path, data.ToArray());
    });
    var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories);
    Console.WriteLine($"{files.Length:N0} images in {root}, {files.Sum(f => new FileInfo(f).Length) / (double)files.Length / 1000:0.#} KB on average");
}

static NFNetTrainingOptions Options(List<double> imagesPerSecond) => new()
{
    Epochs = 1,
    Seed = 1,
    Preprocessing = new ImagePreprocessingOptions { ImageSize = 64 },
    LogEveryBatches = 0,
    MetricsCallback = m =>
    {
        if (m.IsEpochEnd)
            imagesPerSecond.Add(m.ImagesPerSecond);
    },
};

static int Engine(string root, bool inMemory)
{
    var log = new List<string>();
    var speed = new List<double>();
    var clock = Stopwatch.StartNew();
    var folder = ImageDataSource.FromFolder(root);
    var data = inMemory
        ? ImageDataSource.FromMemory(Enumerable.Range(0, folder.Count).Select(i => folder[i]).ToArray(), folder.ClassCount)
        : folder;
    using var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), data.ClassCount);
    PhaseTrace.Current?.Enter("training engine");
    new NFNetTrainingEngine(Options(speed), line =>
    {
        PhaseTrace.Current?.Enter(line);
        log.Add(line);
    }).Train(model, data);
    return Report(inMemory ? "memory" : "engine", data.Count, clock.Elapsed, speed, log);
}

static int MLNet(string root, long? budgetMegabytes)
{
    var log = new List<string>();
    var speed = new List<double>();
    var clock = Stopwatch.StartNew();
    var ml = new MLContext(seed: 1);
    ml.Log += (_, e) =>
    {
        if (e.Source.Contains("NFNet", StringComparison.Ordinal))
            lock (log)
            {
                PhaseTrace.Current?.Enter(e.Message);
                log.Add(e.Message);
            }
    };
    var rows = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
        .SelectMany(folder => Directory.GetFiles(folder).Order(StringComparer.Ordinal)
            .Select(path => new ImagePath { Path = path, Label = Path.GetFileName(folder) }))
        .ToList();
    var view = ml.Data.LoadFromEnumerable(rows);
    var options = new NFNetImageClassificationTrainer.Options
    {
        LabelColumnName = "Label",
        FeatureColumnName = "Image",
        Architecture = NFNetConfig.Variant("nfnet_tiny"),
        Training = Options(speed),
    };
    if (budgetMegabytes is { } megabytes)
        options.DataMemory = options.DataMemory with { EncodedImageBytes = megabytes * 1_000_000 };
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.Transforms.LoadRawImageBytes("Image", imageFolder: null, inputColumnName: "Path"))
        .Append(ml.MulticlassClassification.Trainers.NFNet(options));
    using var model = (IDisposable)pipeline.Fit(view).LastTransformer;
    return Report(budgetMegabytes is null ? "mlnet" : $"mlnet-budget-{budgetMegabytes}MB", rows.Count, clock.Elapsed, speed, log);
}

static int Report(string path, int images, TimeSpan elapsed, List<double> speed, List<string> log)
{
    foreach (var line in log.Where(l => l.Contains("images in", StringComparison.Ordinal) || l.Contains("Training data:", StringComparison.Ordinal)).ToArray())
        Console.WriteLine($"  log: {line}");
    PhaseTrace.Current?.Print();
    var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
    var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    Console.WriteLine($"RESULT path={path} images={images} peak_rss_mib={PeakMiB():0} seconds={elapsed.TotalSeconds:0} cpu_s={cpu:0} " +
        $"epoch_images_per_s={(speed.Count > 0 ? speed[^1] : double.NaN):0} load=\"{load}\"");
    return 0;
}

static double PeakMiB() => Status("VmHWM:");

static double Status(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field, StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    return Environment.WorkingSet / 1048576.0;
}

/// <summary>The largest RSS sampled in each phase of a run (a phase begins at a log line).</summary>
internal sealed class PhaseTrace : IDisposable
{
    private readonly List<(string Phase, double PeakMiB, double ManagedMiB)> phases = [("start", 0, 0)];
    private readonly Timer timer;

    public PhaseTrace() => timer = new Timer(_ => Sample(), null, 0, 50);

    public static PhaseTrace? Current { get; set; }

    public void Enter(string line)
    {
        var text = line[(line.IndexOf(']') + 1)..].Trim();
        lock (phases)
            phases.Add((text.Length > 70 ? text[..70] : text, 0, 0));
        Sample();
    }

    public void Print()
    {
        lock (phases)
            foreach (var (phase, peak, managed) in phases)
                Console.WriteLine($"  trace: {peak,6:0} MiB RSS, {managed,6:0} MiB managed heap  {phase}");
    }

    public void Dispose() => timer.Dispose();

    private void Sample()
    {
        var rss = ReadRss();
        var managed = GC.GetTotalMemory(false) / 1048576.0;
        lock (phases)
        {
            var (phase, peak, heap) = phases[^1];
            if (rss > peak)
                phases[^1] = (phase, rss, Math.Max(heap, managed));
        }
    }

    private static double ReadRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return 0;
    }
}

internal sealed class ImagePath
{
    public string Path { get; set; } = "";
    public string Label { get; set; } = "";
}

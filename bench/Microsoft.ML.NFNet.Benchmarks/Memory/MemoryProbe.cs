using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;

namespace Microsoft.ML.NFNet.Benchmarks.Memory;

/// <summary>
/// Peak resident memory of one <c>Fit</c>, one run per process (eng/memory-bench.sh runs them and compares):
///   generate ROOT COUNT       COUNT JPEGs of 256×256 (~50 KB) in ROOT/class0..class9 (image i is the same in every set)
///   engine ROOT               ImageDataSource.FromFolder + NFNetTrainingEngine.Train (files read when used)
///   memory ROOT               every file read into ImageDataSource.FromMemory first: the in-memory reference
///   mlnet ROOT [BUDGET_MB]    an IDataView of file paths, LoadRawImageBytes, MapValueToKey, Trainers.NFNet; BUDGET_MB
///                             sets how many MB of encoded images it keeps in memory (default: the library's)
///   check ROOT                only the check before training (TrainingData.Scan) over the folder: seconds, CPU seconds
/// All train nfnet_tiny from scratch, 1 epoch at 64 px, seed 1. Prints one "RESULT" line: peak RSS (VmHWM), seconds,
/// process CPU seconds, images/s of the epoch, the load average; and the log lines that say where the data is.
/// MEMORY_TRACE=1 also samples RSS every 50 ms and prints the largest sample of each phase (a phase starts at a log line).
/// </summary>
internal static class MemoryProbe
{
    public const string Usage = "generate ROOT COUNT | engine ROOT | memory ROOT | mlnet ROOT [BUDGET_MB] | check ROOT";

    public static int Run(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        using var trace = Environment.GetEnvironmentVariable("MEMORY_TRACE") == "1" ? new PhaseTrace() : null;
        PhaseTrace.Current = trace;
        return args switch
        {
            ["generate", var root, var count] when int.TryParse(count, out var n) && n > 0 => Generate(root, n),
            ["engine", var root] => Engine(root, inMemory: false),
            ["memory", var root] => Engine(root, inMemory: true),
            ["check", var root] => Check(root),
            ["mlnet", var root] => MLNet(root, null),
            ["mlnet", var root, var budget] when long.TryParse(budget, out var megabytes) && megabytes >= 0 => MLNet(root, megabytes),
            _ => Fail($"usage: memory {Usage}"),
        };
    }

    private static int Generate(string root, int count)
    {
        MemoryBenchImages.Generate(root, count);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 1;
    }

    private static NFNetTrainingOptions Options(List<double> imagesPerSecond) => new()
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

    private static int Check(string root)
    {
        var data = ImageDataSource.FromFolder(root);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var scan = TrainingData.Scan(data, null, Options([]), CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"  log: Training data: {scan.Profile}.");
        Console.WriteLine($"RESULT path=check images={data.Count} seconds={seconds:0.00} cpu_s={cpuSeconds:0.00} " +
            $"ms_per_image={1000 * seconds / data.Count:0.000} load=\"{File.ReadAllText("/proc/loadavg").Trim()}\"");
        return 0;
    }

    private static int Engine(string root, bool inMemory)
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

    private static int MLNet(string root, long? budgetMegabytes)
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

    private static int Report(string path, int images, TimeSpan elapsed, List<double> speed, List<string> log)
    {
        foreach (var line in log.Where(l => l.Contains("images in", StringComparison.Ordinal) || l.Contains("Training data:", StringComparison.Ordinal)
            || l.StartsWith("Threads:", StringComparison.Ordinal)).ToArray())
            Console.WriteLine($"  log: {line}");
        PhaseTrace.Current?.Print();
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Console.WriteLine($"RESULT path={path} images={images} peak_rss_mib={PeakMiB():0} seconds={elapsed.TotalSeconds:0} cpu_s={cpu:0} " +
            $"epoch_images_per_s={(speed.Count > 0 ? speed[^1] : double.NaN):0} load=\"{load}\"");
        return 0;
    }

    private static double PeakMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return Environment.WorkingSet / 1048576.0;
    }
}

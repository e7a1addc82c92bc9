using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Probes;

/// <summary>
/// thin [unlimited] [WxH@size ...]: peak RSS growth, wall-clock and CPU time (all threads) of one PredictionEngine.Predict of a thin PNG (after a warm-up Predict
///   of a normal image), with the model trained at that size; "unlimited" trains with MaxAspectRatio = ∞.
/// bitflip [trials]: one bit flipped at seeded positions inside the zip's compressed weights entry; each copy is loaded
///   and scores 6 images: counts of load errors, identical scores and different scores.
/// </summary>
internal static class ReliabilityProbes
{
    public static int Run(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        var mode = args.Length > 0 ? args[0] : "thin";
        if (mode == "thin")
        {
            var unlimited = args.Contains("unlimited");
            var cases = args.Skip(1).Where(a => a.Contains('@')).DefaultIfEmpty("1000000x1@32").ToArray();
            foreach (var spec in cases)
            {
                var parts = spec.Split('@', 'x');
                var (width, height, size) = (int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
                var mlContext = new MLContext(seed: 1);
                var model = Train(mlContext, size, unlimited, out _);
                var engine = mlContext.Model.CreatePredictionEngine<ImageRow, Prediction>(model);
                engine.Predict(new ImageRow { ImageSource = Png(32, 32) });
                var png = Png(width, height, noise: false);
                ResetPeak();
                var before = Rss("VmRSS:");
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                string outcome;
                try
                {
                    var scores = engine.Predict(new ImageRow { ImageSource = png }).Score;
                    outcome = $"scored ({string.Join(", ", scores.Select(s => s.ToString("F3")))})";
                }
                catch (Exception e)
                {
                    var root = e;
                    while (root.InnerException is not null) root = root.InnerException;
                    outcome = $"{e.GetType().Name}: {root.Message[..Math.Min(root.Message.Length, 160)]}";
                }
                clock.Stop();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                var peak = (Rss("VmHWM:") - before) / 1048576.0;
                Console.WriteLine($"RESULT thin {width}x{height} png={png.Length}B size={size}{(unlimited ? " unlimited" : "")}: " +
                                  $"peak RSS +{peak:F0} MiB, {clock.Elapsed.TotalSeconds:F2} s wall, {cpu.TotalSeconds:F2} s CPU, {outcome}");
            }
        }
        else if (mode == "bitflip")
        {
            var trials = args.Length > 1 ? int.Parse(args[1]) : 40;
            var mlContext = new MLContext(seed: 1);
            var model = Train(mlContext, 32, unlimited: false, out var schema);
            using var saved = new MemoryStream();
            mlContext.Model.Save(model, schema, saved);
            var zip = saved.ToArray();
            var probes = Enumerable.Range(0, 6).Select(i => new ImageRow { ImageSource = Png(32, 32, seed: 100 + i) }).ToArray();
            float[][] Scores(byte[] bytes)
            {
                var loaded = new MLContext().Model.Load(new MemoryStream(bytes), out _);
                var engine = new MLContext().Model.CreatePredictionEngine<ImageRow, Prediction>(loaded);
                return probes.Select(p => engine.Predict(p).Score).ToArray();
            }
            var expected = Scores(zip);
            var weights = Entries(zip).Single(e => e.Name.EndsWith("/Weights.safetensors") || e.Name.EndsWith("/TorchWeights"));
            var random = new Random(40);
            int errors = 0, corruptWording = 0, identical = 0, different = 0;
            for (var t = 0; t < trials; t++)
            {
                var damaged = (byte[])zip.Clone();
                damaged[weights.DataStart + random.NextInt64(weights.Length)] ^= (byte)(1 << random.Next(8));
                try
                {
                    var scores = Scores(damaged);
                    if (scores.Zip(expected).All(p => p.First.SequenceEqual(p.Second))) identical++; else different++;
                }
                catch (Exception e)
                {
                    errors++;
                    for (var c = e; c is not null; c = c.InnerException)
                        if (c.Message.Contains("corrupt", StringComparison.OrdinalIgnoreCase)) { corruptWording++; break; }
                }
            }
            Console.WriteLine($"RESULT bitflip {weights.Name} ({weights.Length:N0} stored bytes), {trials} trials: {errors} load errors " +
                              $"({corruptWording} saying corrupt), {identical} loaded with identical scores, {different} loaded with different scores");
        }

        static ITransformer Train(MLContext mlContext, int size, bool unlimited, out DataViewSchema schema)
        {
            var rows = Enumerable.Range(0, 12).Select(i => new LabeledRow { Label = i % 2 == 0 ? "a" : "b", ImageSource = Png(32, 32, seed: i, tint: i % 2) }).ToArray();
            var data = mlContext.Data.LoadFromEnumerable(rows);
            var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            schema = keyed.Schema;
            var architecture = NFNetConfig.Variant("eca_nfnet_l0") with
            {
                Name = "tiny-eca", Depths = [1, 1, 1, 1], Channels = [32, 32, 64, 64], StemChannels = [8, 16, 16, 32], GroupSize = 8,
                NumFeatures = 96, DropRate = 0, DropPathRate = 0,
            };
            var options = new NFNetImageClassificationTrainer.Options
            {
                FeatureColumnName = "ImageSource", Architecture = architecture, ValidationSetFraction = 0,
                Training = new()
                {
                    Epochs = 1, BatchSize = 6, Seed = 1,
                    Preprocessing = new()
                    {
                        ImageSize = size, RandomResizedCrop = false,
                        MaxAspectRatio = unlimited ? double.PositiveInfinity : ImagePreprocessingOptions.DefaultMaxAspectRatio,
                    },
                },
            };
            return mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed);
        }

        static byte[] Png(int width, int height, int seed = 0, int tint = 0, bool noise = true)
        {
            var random = new Random(seed);
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            var pixels = new byte[width * height * 4];
            for (var i = 0; i < width * height; i++)
            {
                pixels[4 * i] = (byte)(tint == 0 ? 200 : random.Next(40));
                pixels[4 * i + 1] = (byte)(noise ? random.Next(256) : i % 7 * 30);
                pixels[4 * i + 2] = (byte)(i * 255L / Math.Max(1, width * height - 1));
                pixels[4 * i + 3] = 255;
            }
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return data.ToArray();
        }

        static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

        static long Rss(string field) => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

        // Stored entries of a zip from its central directory: name, offset of the stored bytes, stored length.
        static List<(string Name, long DataStart, long Length)> Entries(byte[] zip)
        {
            var end = zip.Length - 22;
            while (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end)) != 0x06054b50) end--;
            var count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(end + 10));
            var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16));
            var entries = new List<(string, long, long)>();
            for (var i = 0; i < count; i++)
            {
                var header = zip.AsSpan(offset);
                var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
                var local = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
                var name = System.Text.Encoding.UTF8.GetString(header.Slice(46, nameLength));
                var start = local + 30 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 26)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 28));
                entries.Add((name, start, BinaryPrimitives.ReadUInt32LittleEndian(header[20..])));
                offset += 46 + nameLength + BinaryPrimitives.ReadUInt16LittleEndian(header[30..]) + BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            }
            return entries;
        }
        return 0;
    }

    public sealed class LabeledRow
    {
        public string Label { get; set; } = "";
        public byte[] ImageSource { get; set; } = [];
    }

    public sealed class ImageRow
    {
        public byte[] ImageSource { get; set; } = [];
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}

using System.Diagnostics;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Probes;

/// <summary>
/// Probes for docs/performance.md. Wall-clock times on a shared 2-core VM swing by 10x, so every probe also prints the
/// process CPU time per pass (all threads); run with OMP_WAIT_POLICY=PASSIVE so that idle OpenMP threads sleep instead
/// of spinning and CPU time counts work only. Two arms of an A/B alternate pass by pass in one process.
///   run VARIANT BATCH SIZE ITERS [infer|train] [fp32|bf16] [frozen]   prints MARK lines for eng/profile.sh's time window
///   freeze VARIANT BATCH SIZE ITERS                                      per-pass standardization vs FreezeForScoring
///   precision VARIANT BATCH SIZE ITERS                                   fp32 vs bf16, both frozen
///   stem BATCH SIZE ITERS                                                the 3-channel stem conv: padded to 32 channels vs im2col + matmul
///   pool BATCH CHANNELS SIZE ITERS                                       the shortcut's 2x2 average pool: avg_pool2d vs a reshaped mean
///   save VARIANT SIZE ZIP / load ZIP                                     a random-init model zip; Model.Load of it, timed (for perf)
///   curve fp32|bf16 SEED EPOCHS SIZE                                      nfnet_tiny on the sample's Fashion-MNIST, per-epoch losses
/// </summary>
internal static class PerfProbes
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.WriteLine("modes: run | freeze | precision | stem | pool | save | load | curve (see Probes/PerfProbes.cs)");
            return 1;
        }
        torch.set_num_threads(2);
        torch.set_num_interop_threads(1);
        var mode = args[0];
        switch (mode)
        {
            case "run": Run(args[1], Int(2), Int(3), Int(4), args.Contains("train"), Precision(args), args.Contains("frozen")); break;
            case "freeze": AlternateArms(args[1], Int(2), Int(3), Int(4), ["per-pass standardization", "FreezeForScoring"],
                (model, arm) => { if (arm == 1) model.FreezeForScoring(); else model.Unfreeze(); }); break;
            case "precision": AlternateArms(args[1], Int(2), Int(3), Int(4), ["fp32 frozen", "bf16 frozen"],
                (model, arm) => { model.InferencePrecision = arm == 1 ? NFNetPrecision.BFloat16 : NFNetPrecision.Float32; model.FreezeForScoring(); }); break;
            case "stem": Stem(Int(1), Int(2), Int(3)); break;
            case "pool": Pool(Int(1), Int(2), Int(3), Int(4)); break;
            case "save": SaveZip(args[1], Int(2), args[3]); break;
            case "load": LoadZip(args[1]); break;
            case "curve": Curve(args[1] == "bf16" ? NFNetPrecision.BFloat16 : NFNetPrecision.Float32, Int(2), Int(3), Int(4)); break;
            default: Console.Error.WriteLine($"unknown mode {mode}: run | freeze | precision | stem | pool | save | load | curve"); return 1;
        }
        return 0;

        int Int(int index) => int.Parse(args[index]);
        static NFNetPrecision Precision(string[] args) => args.Contains("bf16") ? NFNetPrecision.BFloat16 : NFNetPrecision.Float32;
        static double CpuMs() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        static double Seconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

        // The bench protocol's model and input, then ITERS passes between two MARK lines (CLOCK_MONOTONIC seconds, for perf's --time).
        static void Run(string variant, int batch, int size, int iterations, bool train, NFNetPrecision precision, bool frozen)
        {
            var config = NFNetConfig.Variant(variant);
            if (train)
                config = config with { DropRate = 0, DropPathRate = 0 };
            manual_seed(0);
            using var model = new NFNetModel(config, 1000) { InferencePrecision = precision, TrainingPrecision = precision };
            using var x = randn([batch, 3, size, size], generator: new Generator(0));
            using var y = randint(0, 1000, [batch], dtype: ScalarType.Int64, generator: new Generator(1));
            NFNetOptimizer? optimizer = null;
            if (train)
            {
                model.train();
                optimizer = NFNetOptimizer.Create(model, new NFNetOptimizerOptions { LearningRate = 0.1, WarmupSteps = 0 }, batch, 1, long.MaxValue / 4);
            }
            else if (frozen)
                model.FreezeForScoring();
            else
                model.eval();
            void Step()
            {
                using var scope = NewDisposeScope();
                if (optimizer is null)
                {
                    using var _ = inference_mode();
                    model.forward(x);
                    return;
                }
                optimizer.ZeroGrad();
                nn.functional.cross_entropy(model.forward(x), y).backward();
                optimizer.Step();
            }
            Step();
            Step();
            var times = new List<double>();
            Console.WriteLine($"MARK start {Seconds():F6}");
            var cpu = CpuMs();
            for (var i = 0; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                Step();
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            cpu = (CpuMs() - cpu) / iterations;
            Console.WriteLine($"MARK end {Seconds():F6}");
            times.Sort();
            Console.WriteLine($"{variant} {(train ? "train" : "infer")} b{batch}@{size} {precision}{(frozen ? " frozen" : "")}: " +
                              $"wall median {times[times.Count / 2]:F1} ms, min {times[0]:F1} ms; CPU {cpu:F1} ms per pass");
        }

        static void AlternateArms(string variant, int batch, int size, int iterations, string[] names, Action<NFNetModel, int> setArm)
        {
            manual_seed(0);
            using var model = new NFNetModel(NFNetConfig.Variant(variant), 1000);
            model.eval();
            using var x = randn([batch, 3, size, size], generator: new Generator(0));
            var wall = new[] { new List<double>(), new List<double>() };
            var cpu = new double[2];
            void Pass()
            {
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                model.forward(x);
            }
            for (var i = 0; i < 2 + iterations; i++)
                for (var arm = 0; arm < 2; arm++)
                {
                    setArm(model, arm);
                    if (i < 2)
                    {
                        Pass();
                        continue;
                    }
                    var before = CpuMs();
                    var start = Stopwatch.GetTimestamp();
                    Pass();
                    wall[arm].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    cpu[arm] += CpuMs() - before;
                }
            for (var arm = 0; arm < 2; arm++)
            {
                wall[arm].Sort();
                Console.WriteLine($"{variant} b{batch}@{size} {names[arm],-26}: CPU {cpu[arm] / iterations,7:F1} ms per pass; " +
                                  $"wall median {wall[arm][iterations / 2]:F1} ms, min {wall[arm][0]:F1} ms");
            }
        }

        static void Stem(int batch, int size, int iterations)
        {
            using var x = randn(batch, 3, size, size);
            using var weight = randn(16, 3, 3, 3);
            using var bias = zeros(16);
            Tensor Padded()
            {
                // What CpuConvolution did before: the input padded from 3 to 32 channels (stride 2), the filters likewise.
                using var scope = NewDisposeScope();
                var y = nn.functional.conv2d(nn.functional.pad(x, [0, 0, 0, 0, 0, 29]), nn.functional.pad(weight, [0, 0, 0, 0, 0, 29]),
                    bias, [2, 2], [1, 1]);
                return y.MoveToOuterDisposeScope();
            }
            Tensor Guarded() => CpuConvolution.Conv2d(x, weight, bias, 2, 1, 1);
            using var _ = no_grad();
            using var reference = nn.functional.conv2d(x.to(float64), weight.to(float64), bias.to(float64), [2, 2], [1, 1]);
            Console.WriteLine($"max |im2col - float64| {(Guarded().to(float64) - reference).abs().max().item<double>():E2}, " +
                              $"max |padded - float64| {(Padded().to(float64) - reference).abs().max().item<double>():E2}");
            foreach (var (name, conv) in new (string, Func<Tensor>)[] { ("padded to 32 channels", Padded), ("im2col + matmul", Guarded),
                         ("padded to 32 channels", Padded), ("im2col + matmul", Guarded) })
            {
                for (var i = 0; i < 3; i++)
                    conv().Dispose();
                var before = CpuMs();
                for (var i = 0; i < iterations; i++)
                    conv().Dispose();
                Console.WriteLine($"stem conv 3->16 s2 b{batch}@{size} {name,-22}: CPU {(CpuMs() - before) / iterations:F2} ms per call");
            }
        }

        static void Pool(int batch, int channels, int size, int iterations)
        {
            using var _ = no_grad();
            foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            {
                using var x = randn(batch, channels, size, size).to(type);
                Tensor AvgPool() => nn.functional.avg_pool2d(x, [2, 2], [2, 2], ceil_mode: true, count_include_pad: false);
                Tensor ViewMean() => x.view(batch, channels, size / 2, 2, size / 2, 2).mean([3, 5]);
                Console.WriteLine($"{type}: max |avg_pool2d - view mean| {(AvgPool().to(float32) - ViewMean().to(float32)).abs().max().item<float>():E2}");
                foreach (var (name, pool) in new (string, Func<Tensor>)[] { ("avg_pool2d", AvgPool), ("view + mean", ViewMean), ("avg_pool2d", AvgPool), ("view + mean", ViewMean) })
                {
                    for (var i = 0; i < 3; i++)
                        pool().Dispose();
                    var before = CpuMs();
                    for (var i = 0; i < iterations; i++)
                        pool().Dispose();
                    Console.WriteLine($"  {type} [{batch}, {channels}, {size}, {size}] {name,-12}: CPU {(CpuMs() - before) / iterations:F2} ms per call");
                }
            }
        }

        static void SaveZip(string variant, int size, string path)
        {
            var mlContext = new MLContext(seed: 0);
            manual_seed(0);
            var model = new NFNetModel(NFNetConfig.Variant(variant), 10);
            var parameters = new NFNetModelParameters(mlContext, model, new ImagePreprocessingOptions { ImageSize = size },
                Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray(), training: null);
            var rows = Enumerable.Range(0, 10).Select(i => new ProbeImage { Label = $"c{i}", ImageSource = [1] }).ToArray();
            var data = mlContext.Data.LoadFromEnumerable(rows);
            var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            var transformer = NFNetImageClassificationTrainer.ScoringTransformer(mlContext, parameters, keyed.Schema,
                new NFNetImageClassificationTrainer.Options { FeatureColumnName = "ImageSource" });
            mlContext.Model.Save(transformer, keyed.Schema, path);
            Console.WriteLine($"saved {path}: {new FileInfo(path).Length / 1048576.0:F1} MiB");
        }

        static void LoadZip(string path)
        {
            var start = Stopwatch.GetTimestamp();
            var cpu = CpuMs();
            Console.WriteLine($"MARK start {Seconds():F6}");
            var model = new MLContext(seed: 0).Model.Load(path, out _);
            Console.WriteLine($"MARK end {Seconds():F6}");
            Console.WriteLine($"Model.Load: wall {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms, CPU {CpuMs() - cpu:F0} ms ({model.GetType().Name})");
        }

        static void Curve(NFNetPrecision precision, int seed, int epochs, int size)
        {
            // The sample's embedded subset, copied beside this app with the sample.
            var data = Path.Combine(AppContext.BaseDirectory, "Data");
            var train = ImageDataSource.FromFolder(Path.Combine(data, "FashionMnist"));
            var test = ImageDataSource.FromFolder(Path.Combine(data, "FashionMnistTest"));
            manual_seed(seed);
            using var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), train.ClassCount);
            var options = new NFNetTrainingOptions
            {
                Epochs = epochs, BatchSize = 32, Seed = seed, Precision = precision, EarlyStopping = null,
                Optimizer = new NFNetOptimizerOptions { LearningRate = 0.1, WarmupEpochs = 1 },
                Preprocessing = new ImagePreprocessingOptions { ImageSize = size, CropScaleMin = 0.35 },
                MetricsCallback = m =>
                {
                    if (m.IsEpochEnd)
                        Console.WriteLine($"CURVE {precision} seed {seed} epoch {m.Epoch} train_loss {m.TrainLoss:F4} " +
                                          $"val_loss {m.ValidationLoss:F4} val_acc {m.ValidationAccuracy:F4}");
                },
            };
            new NFNetTrainingEngine(options).Train(model, train, test);
        }
    }

    internal sealed class ProbeImage
    {
        public string Label { get; set; } = "";
        public byte[] ImageSource { get; set; } = [];
    }
}

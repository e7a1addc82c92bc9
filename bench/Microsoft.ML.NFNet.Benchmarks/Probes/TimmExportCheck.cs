using Microsoft.ML;
using Microsoft.ML.NFNet;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Probes;

/// <summary>
/// Exports networks with ExportTimm and writes, next to each folder's model.safetensors and config.json, a
/// reference.safetensors: a fixed input and this library's logits and pooled features for it, plus a PNG and the tensor
/// ImageBatcher makes of it with the exported preprocessing. eng/verify-timm-export.py loads each folder in timm and
/// compares. Usage: TimmExportCheck <output folder>
/// </summary>
internal static class TimmExportCheck
{
    public static int Run(string[] args)
    {
        var output = Path.GetFullPath(args.Length > 0 ? args[0] : "timm-export-check");
        Directory.CreateDirectory(output);
        set_num_threads(2);

        // 1. nfnet_tiny trained through the ML.NET trainer, exported with NFNetModelParameters.ExportTimm (its stem is not one
        //    timm's NfCfg can describe: config.json lists it, the Python side rebuilds the stem).
        {
            var mlContext = new MLContext(seed: 1);
            var rows = Enumerable.Range(0, 18).Select(i => new Row { Label = $"class{i % 3}", Image = Png(i % 3, i) }).ToArray();
            var data = mlContext.Data.LoadFromEnumerable(rows);
            var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            var trained = mlContext.MulticlassClassification.Trainers.NFNet(new NFNetImageClassificationTrainer.Options
            {
                FeatureColumnName = "Image",
                ValidationSetFraction = 0,
                Training = new NFNetTrainingOptions
                {
                    Epochs = 2, BatchSize = 6, Seed = 1,
                    Preprocessing = new ImagePreprocessingOptions { ImageSize = 48, EvalImageSize = 56, EvalCropFraction = 0.95 },
                },
            }).Fit(keyed).Model;
            var folder = Path.Combine(output, "nfnet_tiny");
            trained.ExportTimm(folder);
            WriteReference(trained.Model, folder, trained.Preprocessing);
        }

        // 2.–5. Random networks with every gain and bias moved off its initial value.
        Export("tiny_light", TinyLight(), 4);
        Export("tiny_dm", TinyDeepMind(), 4);
        Export("eca_nfnet_l0", NFNetConfig.Variant("eca_nfnet_l0"), 5);
        Export("dm_nfnet_f0", NFNetConfig.Variant("dm_nfnet_f0"), 5);
        Console.WriteLine($"Exported to {output}");
        return 0;

        static NFNetConfig TinyLight() => NFNetConfig.Variant("eca_nfnet_l0") with
        {
            Name = "tiny_light", Depths = [1, 1, 2, 1], Channels = [64, 128, 128, 256], StemChannels = [16, 32, 64, 128], GroupSize = 32,
            BottleneckRatio = 0.5, NumFeatures = 384,
        };

        static NFNetConfig TinyDeepMind() => NFNetConfig.Variant("F0") with
        {
            Name = "tiny_dm", Depths = [1, 2, 1, 1], Channels = [32, 64, 64, 128], StemChannels = [4, 8, 16, 32], GroupSize = 16,
            NumFeatures = 192,
        };

        void Export(string name, NFNetConfig config, int classes)
        {
            manual_seed(name.Length);
            using var model = new NFNetModel(config, classes);
            using (no_grad())
                foreach (var (parameterName, parameter) in model.named_parameters())
                {
                    if (parameterName.EndsWith(".gain", StringComparison.Ordinal))
                        parameter.mul_(rand_like(parameter).add_(0.5)).add_(rand_like(parameter).mul_(0.8).add_(0.2).mul_(parameter.eq(0)));
                    else if (parameterName.EndsWith(".bias", StringComparison.Ordinal) || parameterName.EndsWith("skipinit_gain", StringComparison.Ordinal))
                        parameter.add_(randn_like(parameter).mul_(0.1)).add_(parameterName.EndsWith("skipinit_gain", StringComparison.Ordinal) ? 0.5 : 0);
                }
            model.eval();
            var preprocessing = new ImagePreprocessingOptions { ImageSize = 64, EvalImageSize = 72, EvalCropFraction = 0.9,
                EvalResizeMode = config.GammaInActivation ? EvalResizeMode.Squash : EvalResizeMode.ShorterSide };
            var folder = Path.Combine(output, name);
            model.ExportTimm(folder, preprocessing, Enumerable.Range(0, classes).Select(c => $"label {c}").ToArray());
            WriteReference(model, folder, preprocessing);
        }

        static void WriteReference(NFNetModel model, string folder, ImagePreprocessingOptions preprocessing)
        {
            using var scope = NewDisposeScope();
            manual_seed(7);
            var input = randn(2, 3, 64, 80); // not square, so padding on both axes is checked
            var png = Png(1, 99, width: 150, height: 100);
            File.WriteAllBytes(Path.Combine(folder, "reference.png"), png);
            var preprocessed = new ImageBatcher(preprocessing).CreateEvaluationBatch([png]);
            Tensor logits, features;
            using (no_grad())
            {
                logits = model.call(input);
                features = model.ForwardFeatures(input);
            }
            Safetensors.Save(Path.Combine(folder, "reference.safetensors"), new Dictionary<string, Tensor>
            {
                ["input"] = input, ["logits"] = logits, ["features"] = features, ["preprocessed"] = preprocessed,
            });
        }

        static byte[] Png(int colour, int seed, int width = 40, int height = 40)
        {
            var random = new Random(seed);
            using var bitmap = new SKBitmap(width, height);
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var v = (byte)random.Next(256);
                    bitmap.SetPixel(x, y, colour switch { 0 => new SKColor(v, 40, 40), 1 => new SKColor((byte)(x * 255 / width), v, (byte)(y * 255 / height)), _ => new SKColor(40, 40, v) });
                }
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return encoded.ToArray();
        }
    }

    internal sealed class Row
    {
        public string Label { get; set; } = "";
        public byte[] Image { get; set; } = [];
    }
}

using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>Trains and saves a model in seconds (1 epoch on 24 synthetic images): its accuracy is meaningless, its size
/// and speed are those of any model of the same variant and input size.</summary>
internal static class QuickModel
{
    private sealed class Row
    {
        public string Label { get; set; } = "";
        public byte[] ImageSource { get; set; } = [];
    }

    public static void TrainAndSave(string path, string architecture, int imageSize)
    {
        var rows = Enumerable.Range(0, 24).Select(i => new Row
        {
            Label = SyntheticImages.Classes[i % SyntheticImages.Classes.Length],
            ImageSource = SyntheticImages.Encode(i % SyntheticImages.Classes.Length, 64, 64, seed: i, SKEncodedImageFormat.Png),
        });
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.NFNet(new NFNetImageClassificationTrainer.Options
            {
                FeatureColumnName = nameof(Row.ImageSource),
                Architecture = NFNetConfig.Variant(architecture),
                ValidationSetFraction = 0,
                Training = new NFNetTrainingOptions
                {
                    Epochs = 1,
                    BatchSize = 8,
                    Seed = 1,
                    Preprocessing = new ImagePreprocessingOptions { ImageSize = imageSize },
                },
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        mlContext.Model.Save(model, data.Schema, path);
        (model as IDisposable)?.Dispose();
    }
}

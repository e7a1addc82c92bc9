using System.Diagnostics;
using Microsoft.ML.Data;
using ModelInput = Microsoft.ML.NFNet.Samples.MLModel.ModelInput;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>
/// The classic baseline a deep network must beat: softmax regression (ML.NET's L-BFGS maximum entropy, default
/// regularization) on the raw pixels scaled to 0..1, gray images as one value per pixel, colour ones as three.
/// </summary>
internal static class SoftmaxBaseline
{
    public static (double Accuracy, TimeSpan Time) Run(IReadOnlyList<ModelInput> train, IReadOnlyList<ModelInput> test, int seed)
    {
        var clock = Stopwatch.StartNew();
        var colour = train.Take(100).Any(row => !IsGray(row.ImageSource));
        var trainRows = train.Select(row => Featurize(row, colour)).ToArray();
        var testRows = test.Select(row => Featurize(row, colour)).ToArray();
        var schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[nameof(PixelRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, trainRows[0].Features.Length);

        var mlContext = new MLContext(seed);
        var trainView = mlContext.Data.LoadFromEnumerable(trainRows, schema);
        var model = mlContext.Transforms.Conversion.MapValueToKey(nameof(PixelRow.Label))
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(trainView);
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(mlContext.Data.LoadFromEnumerable(testRows, schema)));
        return (metrics.MicroAccuracy, clock.Elapsed);
    }

    private sealed class PixelRow
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
    }

    private static PixelRow Featurize(ModelInput row, bool colour)
    {
        using var bitmap = SKBitmap.Decode(row.ImageSource);
        var features = new float[bitmap.Width * bitmap.Height * (colour ? 3 : 1)];
        var i = 0;
        for (var y = 0; y < bitmap.Height; y++)
        for (var x = 0; x < bitmap.Width; x++)
        {
            var pixel = bitmap.GetPixel(x, y);
            features[i++] = pixel.Red / 255f;
            if (colour)
            {
                features[i++] = pixel.Green / 255f;
                features[i++] = pixel.Blue / 255f;
            }
        }
        return new PixelRow { Label = row.Label, Features = features };
    }

    private static bool IsGray(byte[] encoded)
    {
        using var bitmap = SKBitmap.Decode(encoded);
        return bitmap.Pixels.All(p => p.Red == p.Green && p.Green == p.Blue);
    }
}

using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>Model Builder's generated input class: a class name and the image file's bytes.</summary>
public sealed class ModelInput
{
    public string Label { get; set; } = "";
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>Model Builder's generated output class.</summary>
public sealed class ModelOutput
{
    public uint Label { get; set; }
    public byte[] ImageSource { get; set; } = [];
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>An unlabelled image, as an application scores it.</summary>
public sealed class ImageInput
{
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>Tiny generated images and a quickly trained model.</summary>
internal static class TestImages
{
    public static readonly string[] Classes = ["red", "green", "blue"];
    private static readonly SKColor[] Colours = [new(220, 40, 40), new(40, 200, 60), new(40, 60, 220)];

    /// <summary>Solid-colour 32 px images with pixel noise, PNG and JPEG alternating, classes interleaved.</summary>
    public static ModelInput[] Images(int perClass, int seed) => Enumerable.Range(0, perClass * Classes.Length)
        .Select(i => new ModelInput { Label = Classes[i % Classes.Length], ImageSource = Encode(i % Classes.Length, seed * 1000 + i, i % 2 == 0) })
        .ToArray();

    public static byte[] Encode(int classIndex, int seed, bool png)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(32, 32);
        var colour = Colours[classIndex];
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
        {
            byte Jitter(byte v) => (byte)Math.Clamp(v + random.Next(-30, 31), 0, 255);
            bitmap.SetPixel(x, y, new SKColor(Jitter(colour.Red), Jitter(colour.Green), Jitter(colour.Blue)));
        }
        using var data = bitmap.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>Settings that train nfnet_tiny on the test images in seconds.</summary>
    public static NFNetImageClassificationTrainer.Options FastOptions(string featureColumnName = nameof(ModelInput.ImageSource)) => new()
    {
        FeatureColumnName = featureColumnName,
        ValidationSetFraction = 0,
        Training = new()
        {
            Epochs = 3,
            BatchSize = 6,
            Seed = 1,
            Optimizer = new() { LearningRate = 0.02 },
            Preprocessing = new() { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0 },
        },
    };

    /// <summary>
    /// Trains on labels mapped to keys beforehand, so the model scores rows that have only an ImageSource column.
    /// <paramref name="trainingSchema"/> is what <c>mlContext.Model.Save</c> wants with it.
    /// </summary>
    public static ITransformer Train(MLContext mlContext, out DataViewSchema trainingSchema,
        Action<NFNetImageClassificationTrainer.Options>? configure = null)
    {
        var data = mlContext.Data.LoadFromEnumerable(Images(perClass: 6, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        trainingSchema = keyed.Schema;
        var options = FastOptions();
        configure?.Invoke(options);
        return mlContext.MulticlassClassification.Trainers.NFNet(options)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(keyed);
    }

    /// <summary>Bytes that are not a decodable image, one of each kind the decoder rejects.</summary>
    public static byte[] Undecodable(int kind) => kind switch
    {
        0 => [],
        1 => Encode(0, 99, png: true)[..40], // truncated PNG
        _ => "not an image at all"u8.ToArray(),
    };

    /// <summary>The Score vector and PredictedLabel of each image, through Transform.</summary>
    public static (float[][] Scores, string[] PredictedLabels) Score(MLContext mlContext, ITransformer model, IEnumerable<byte[]> images)
    {
        var data = mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageInput { ImageSource = i }));
        var scored = model.Transform(data);
        return (scored.GetColumn<float[]>("Score").ToArray(), scored.GetColumn<string>("PredictedLabel").ToArray());
    }

    /// <summary>The model parameters of a pipeline, trained now or loaded from a zip of any format (older zips hold
    /// ML.NET's MulticlassPredictionTransformer).</summary>
    public static NFNetModelParameters Parameters(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<ISingleFeaturePredictionTransformer<NFNetModelParameters>>().Single().Model;

    /// <summary>The NFNet transformer of a trained pipeline.</summary>
    public static NFNetPredictionTransformer Scorer(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<NFNetPredictionTransformer>().Single();
}

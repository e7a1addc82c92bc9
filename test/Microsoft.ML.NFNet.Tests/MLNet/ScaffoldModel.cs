using Microsoft.ML.Data;
using Microsoft.ML.NFNet.MLNet.Scaffolding;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>A labelled "image": encoded bytes and a class name, as Model Builder's generated ModelInput has them.</summary>
public sealed class LabelledImage
{
    public string Label { get; set; } = "";
    public byte[] Image { get; set; } = [];
}

/// <summary>An unlabelled image, as an application scores it.</summary>
public sealed class ImageInput
{
    public byte[] Image { get; set; } = [];
}

/// <summary>Synthetic data and a trained model for the scaffold trainer (swap in the NFNet trainer when it lands).</summary>
internal static class ScaffoldModel
{
    public static readonly string[] Classes = ["dark", "mid", "bright"];

    /// <summary>
    /// Rows whose bytes come mostly from their class's third of the byte range (plus uniform noise), so byte
    /// histograms tell the classes apart.
    /// </summary>
    public static LabelledImage[] Images(int perClass, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, perClass * Classes.Length).Select(i =>
        {
            var c = i % Classes.Length;
            var bytes = new byte[random.Next(20, 200)];
            for (var j = 0; j < bytes.Length; j++)
                bytes[j] = (byte)(random.NextDouble() < 0.3 ? random.Next(256) : c * 85 + random.Next(85));
            return new LabelledImage { Label = Classes[c], Image = bytes };
        }).ToArray();
    }

    /// <summary>Trainer, then PredictedLabel mapped back to the class name.</summary>
    public static IEstimator<ITransformer> Trainer(MLContext mlContext) =>
        mlContext.MulticlassClassification.Trainers.ByteHistogramScaffold(featureColumnName: nameof(LabelledImage.Image))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>
    /// Trains on labels mapped to keys beforehand, so the model scores rows that have only an Image column.
    /// <paramref name="trainingSchema"/> is what <c>mlContext.Model.Save</c> wants with it.
    /// </summary>
    public static ITransformer Train(MLContext mlContext, out DataViewSchema trainingSchema)
    {
        var data = mlContext.Data.LoadFromEnumerable(Images(perClass: 10, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        trainingSchema = keyed.Schema;
        return Trainer(mlContext).Fit(keyed);
    }

    /// <summary>The Score vector and PredictedLabel of each image.</summary>
    public static (float[][] Scores, string[] PredictedLabels) Score(MLContext mlContext, ITransformer model, IEnumerable<byte[]> images)
    {
        var data = mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageInput { Image = i }));
        var scored = model.Transform(data);
        return (scored.GetColumn<float[]>("Score").ToArray(), scored.GetColumn<string>("PredictedLabel").ToArray());
    }
}

using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>A row of the benchmark's ML.NET data: a label and the encoded image.</summary>
internal sealed class BenchImage
{
    public string Label { get; set; } = "";
    public byte[] ImageSource { get; set; } = [];
}

/// <summary>What the benchmark's PredictionEngine reads: the Score column.</summary>
internal sealed class BenchPrediction
{
    public float[] Score { get; set; } = [];
}

/// <summary>
/// ML.NET scoring models of randomly initialised variants, built the way <c>Fit</c> builds its result (the same
/// model parameters and transformer) without training, over the sample's Fashion-MNIST test images.
/// </summary>
internal static class ScoringModels
{
    private static readonly string TestImageFolder = Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnistTest");

    /// <summary>The first <paramref name="count"/> test images, classes interleaved, as rows with their labels.</summary>
    public static BenchImage[] TestImages(int count)
    {
        var byClass = Directory.GetDirectories(TestImageFolder).Order(StringComparer.Ordinal)
            .Select(folder => Directory.GetFiles(folder).Order(StringComparer.Ordinal)
                .Select(file => new BenchImage { Label = Path.GetFileName(folder), ImageSource = File.ReadAllBytes(file) }).ToArray())
            .ToArray();
        return Enumerable.Range(0, byClass.Max(c => c.Length))
            .SelectMany(i => byClass.Where(c => i < c.Length).Select(c => c[i]))
            .Take(count).ToArray();
    }

    /// <summary>The keyed data view of <paramref name="rows"/> and a scoring transformer of <paramref name="variant"/>
    /// (random init, seed 0, one class per label) at <paramref name="size"/> px.</summary>
    public static (IDataView Data, ITransformer Transformer, NFNetModelParameters Parameters) Create(MLContext mlContext,
        string variant, int size, BenchImage[] rows)
    {
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey(nameof(BenchImage.Label)).Fit(data).Transform(data);
        var labels = rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        var model = AnchorProtocol.CreateModel(variant, forTraining: false, classes: labels.Length);
        var parameters = new NFNetModelParameters(mlContext, model, new ImagePreprocessingOptions { ImageSize = size }, labels,
            training: null);
        var transformer = NFNetImageClassificationTrainer.ScoringTransformer(mlContext, parameters, keyed.Schema,
            new NFNetImageClassificationTrainer.Options { FeatureColumnName = nameof(BenchImage.ImageSource) });
        return (keyed, transformer, parameters);
    }
}

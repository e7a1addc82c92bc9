using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples.Consumption;

/// <summary>
/// Model Builder-style consumption of a saved NFNet model: load the zip, make a PredictionEngine, and list the top-k
/// class names with their scores. Copy this file into an application to use a model trained by this sample.
/// </summary>
public sealed class NFNetImageClassifier : IDisposable
{
    private readonly PredictionEngine<ModelInput, ModelOutput> engine;
    private readonly string[] classNames;

    public NFNetImageClassifier(string modelPath)
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(modelPath, out _);
        engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        classNames = ReadClassNames(engine.OutputSchema);
    }

    /// <summary>The classes the model knows, in score order.</summary>
    public IReadOnlyList<string> ClassNames => classNames;

    /// <summary>The <paramref name="k"/> most likely classes of an encoded image, best first.</summary>
    public IReadOnlyList<(string Label, float Score)> PredictTopK(byte[] encodedImage, int k = 3)
    {
        var output = engine.Predict(new ModelInput { ImageSource = encodedImage });
        return output.Score
            .Select((score, index) => (Label: classNames[index], Score: score))
            .OrderByDescending(p => p.Score)
            .Take(k)
            .ToArray();
    }

    public void Dispose() => engine.Dispose();

    // The Score column names its slots after the label's key values: that is how a score maps back to a class.
    private static string[] ReadClassNames(DataViewSchema schema)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        schema["Score"].GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}

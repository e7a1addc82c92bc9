using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples;

/// <summary>
/// Consuming a saved model, in the shape ML.NET Model Builder generates for image classification (its
/// <c>*.consumption.cs</c>): <see cref="ModelInput"/>, <see cref="ModelOutput"/>, a PredictionEngine made on first use,
/// <see cref="Predict"/> and <see cref="PredictAllLabels"/>. Copy this file into an application to use a model that
/// this sample (or Model Builder with the trainer name changed) trained.
/// </summary>
public partial class MLModel
{
    /// <summary>One image as the model reads it.</summary>
    public class ModelInput
    {
        /// <summary>The class name (the sub-folder name); read for training and evaluation, ignored when predicting.</summary>
        [ColumnName("Label")]
        public string Label { get; set; } = "";

        /// <summary>The encoded image file (PNG, JPEG, ...), as <c>File.ReadAllBytes</c> returns it.</summary>
        [ColumnName("ImageSource")]
        public byte[] ImageSource { get; set; } = [];
    }

    /// <summary>What the model predicts for one image.</summary>
    public class ModelOutput
    {
        /// <summary>The most likely class name.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>One probability per class, in the order of <see cref="GetLabels"/>.</summary>
        [ColumnName("Score")]
        public float[] Score { get; set; } = [];
    }

    /// <summary>The model zip that <see cref="PredictEngine"/> loads. Model Builder fixes it next to the app; the sample's
    /// commands set it (from <c>--model</c> or <c>--output</c>) before the first prediction.</summary>
    public static string MLNetModelPath { get; set; } = Path.GetFullPath(Path.Combine("nfnet-output", "model.zip"));

    /// <summary>Made on first use. A PredictionEngine is not thread-safe: a server pools them (see the web API sample).</summary>
    public static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(CreatePredictEngine, true);

    private static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        var mlModel = mlContext.Model.Load(MLNetModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(mlModel);
    }

    /// <summary>The predicted class and the probabilities of every class for one image.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    /// <summary>Every class with its probability, most likely first.</summary>
    public static IOrderedEnumerable<KeyValuePair<string, float>> PredictAllLabels(ModelInput input) =>
        GetSortedScoresWithLabels(Predict(input));

    /// <summary>Pairs each probability of <paramref name="result"/> with its class name, most likely first.</summary>
    public static IOrderedEnumerable<KeyValuePair<string, float>> GetSortedScoresWithLabels(ModelOutput result) =>
        GetLabels().Zip(result.Score, KeyValuePair.Create).OrderByDescending(pair => pair.Value);

    /// <summary>The class names in the order of <see cref="ModelOutput.Score"/>.</summary>
    public static IReadOnlyList<string> GetLabels()
    {
        // The Score column names its slots after the label's key values: that is how a score maps back to a class.
        VBuffer<ReadOnlyMemory<char>> names = default;
        PredictEngine.Value.OutputSchema["Score"].GetSlotNames(ref names);
        return names.DenseValues().Select(name => name.ToString()).ToArray();
    }
}

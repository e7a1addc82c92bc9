using Microsoft.Extensions.ObjectPool;
using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>
/// The one loaded model of the server: the transformer from <c>mlContext.Model.Load</c>, shared by every request, and a
/// pool of <see cref="PredictionEngine{TSrc, TDst}"/>s made from it (<see cref="Microsoft.Extensions.ObjectPool"/>;
/// ML.NET's <c>PredictionEnginePool</c> from Microsoft.Extensions.ML does the same job).
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private const string ScoreColumnName = "Score";

    private readonly ITransformer model;
    private readonly ObjectPool<PredictionEngine<ModelInput, ModelOutput>> engines;

    private ImageClassifier(string modelPath, ITransformer model, ObjectPool<PredictionEngine<ModelInput, ModelOutput>> engines,
        string[] labels)
    {
        ModelPath = modelPath;
        this.model = model;
        this.engines = engines;
        Labels = labels;
        Preprocessing = FindPreprocessing(model);
    }

    /// <summary>The full path of the loaded model zip.</summary>
    public string ModelPath { get; }

    /// <summary>The class names, in the order of the Score vector.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>How the model's NFNet stage (classifier or featurizer) decodes and resizes images; null when the
    /// pipeline has none.</summary>
    public ImagePreprocessingOptions? Preprocessing { get; }

    /// <summary>
    /// Loads a model zip saved with <c>mlContext.Model.Save</c> and makes one engine from it, so that a model the server
    /// cannot use fails here, at startup, rather than on the first request.
    /// </summary>
    /// <exception cref="ModelLoadException">No path, a missing file, a zip ML.NET cannot load, or a model that does not
    /// read an <c>ImageSource</c> column and write a <c>Score</c> column.</exception>
    public static ImageClassifier Load(string? modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath))
            throw new ModelLoadException(
                "No model is configured. Start the server with --model <path to model.zip> (or set \"Model\" in " +
                "appsettings.json or the Model environment variable).");
        var fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
            throw new ModelLoadException(
                $"The model file '{fullPath}' does not exist. Pass --model <path to a zip saved with mlContext.Model.Save>.");

        var mlContext = new MLContext();
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(fullPath, out _);
        }
        catch (Exception e)
        {
            throw new ModelLoadException($"The model file '{fullPath}' could not be loaded: {Cause(e, fullPath)}", e);
        }

        try
        {
            var engines = new DefaultObjectPoolProvider().Create(new PredictionEnginePolicy(mlContext, model));
            var first = engines.Get();
            var labels = ReadLabels(first.OutputSchema);
            engines.Return(first);
            return new ImageClassifier(fullPath, model, engines, labels);
        }
        catch (Exception e)
        {
            (model as IDisposable)?.Dispose();
            throw new ModelLoadException(
                $"The model '{fullPath}' cannot be served: {e.Message} The server passes each image as a byte vector " +
                $"column '{nameof(ModelInput.ImageSource)}' and reads the class probabilities from '{ScoreColumnName}'.", e);
        }
    }

    /// <summary>The class probabilities of one encoded image, in the order of <see cref="Labels"/>. Thread-safe.</summary>
    /// <exception cref="InvalidImageException">The bytes are not a decodable image, or it has more pixels than the
    /// model's <c>MaxImagePixels</c>. <c>PredictionEngine.Predict</c> lets the decoder's exception through as it is.</exception>
    public float[] Score(byte[] encodedImage)
    {
        var engine = engines.Get();
        try
        {
            return engine.Predict(new ModelInput { ImageSource = encodedImage }).Score;
        }
        finally
        {
            engines.Return(engine);
        }
    }

    /// <summary>Frees the pooled engines and the model's native memory; call once, after the server has stopped.</summary>
    public void Dispose()
    {
        (engines as IDisposable)?.Dispose();
        (model as IDisposable)?.Dispose();
    }

    // ML.NET wraps a component's error in "Error during class instantiation" three times over, and a damaged zip in
    // "Failed to open a zip archive". The library's own checks say "corrupt" and name the stream; a damaged zip is an
    // InvalidDataException; anything else is best told by the innermost exception.
    private static string Cause(Exception error, string path)
    {
        var chain = new List<Exception>();
        for (var e = error; e is not null; e = e.InnerException)
            chain.Add(e);
        if (chain.OfType<FormatException>().LastOrDefault(e => e.Message.Contains("corrupt", StringComparison.OrdinalIgnoreCase)) is { } corrupt)
            return corrupt.Message;
        if (chain.OfType<InvalidDataException>().LastOrDefault() is { } zip)
            return StartsLikeAZip(path)
                ? $"the zip file is corrupt or truncated ({zip.Message.TrimEnd('.')}). Copy it again, or save the model again."
                : "it is not a zip file. Pass the zip that mlContext.Model.Save wrote.";
        return chain[^1].Message;
    }

    private static bool StartsLikeAZip(string path)
    {
        Span<byte> start = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(start) == 4 && start.SequenceEqual("PK\u0003\u0004"u8);
    }

    private static ImagePreprocessingOptions? FindPreprocessing(ITransformer transformer) =>
        NFNetModelParameters.FindIn(transformer)?.Preprocessing ?? Stages(transformer).OfType<NFNetImageFeaturizer>().FirstOrDefault()?.Preprocessing;

    private static IEnumerable<ITransformer> Stages(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Stages) : [transformer];

    // The Score column names its slots after the label's key values: that is how a score maps back to a class. A model
    // whose label had no names (a numeric key) gets the class indices.
    private static string[] ReadLabels(DataViewSchema schema)
    {
        var score = schema[ScoreColumnName];
        if (score.Type is not VectorDataViewType { Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new InvalidOperationException($"The '{ScoreColumnName}' column is {score.Type}, not a vector of class probabilities.");
        var classCount = vector.Size;
        if (!score.HasSlotNames())
            return Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        VBuffer<ReadOnlyMemory<char>> names = default;
        score.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using Microsoft.ML.NFNet.MLNet;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

// Registers the loader that mlContext.Model.Load finds through the loader signature and assembly name in the model file.
[assembly: LoadableClass(typeof(NFNetModelParameters), null, typeof(SignatureLoadModel),
    "NFNet image classifier", NFNetModelParameters.LoaderSignature)]

namespace Microsoft.ML.NFNet;

/// <summary>
/// A trained NFNet image classifier as ML.NET model parameters: maps encoded image bytes (JPEG, PNG, …) to class
/// probabilities (softmax). It is the <c>Model</c> of the <see cref="MulticlassPredictionTransformer{TModel}"/> that
/// <see cref="NFNetImageClassificationTrainer"/> returns, and is saved into (and loaded from) ML.NET model files.
/// </summary>
/// <remarks>
/// <para><b>Lifetime.</b> The network's weights live in native (libtorch) memory, owned by <see cref="Model"/>. ML.NET
/// disposes a model's parameters whenever a <c>PredictionEngine</c> that owns its transformer is disposed (the default,
/// and what <c>PredictionEnginePool</c> does with surplus engines), which would break every other engine sharing the
/// model; so this class is deliberately not <see cref="IDisposable"/>: engines and <c>Transform</c> results can be
/// created and disposed freely. The native memory is released when the model becomes unreachable and is collected, or
/// at once with <c>Model.Dispose()</c> when you know nothing scores with it any more.</para>
/// <para><b>Threads.</b> Scoring is safe from several threads at once (e.g. one <c>PredictionEngine</c> per thread, as
/// <c>PredictionEnginePool</c> does): images are preprocessed in parallel and the forward passes take turns, because
/// libtorch already spreads one forward pass over all cores.</para>
/// </remarks>
public sealed class NFNetModelParameters : ICanSaveModel, IPredictorProducing<VBuffer<float>>, IValueMapper
{
    // At most 24 ASCII characters; stored in the model file and matched by the LoadableClass above.
    internal const string LoaderSignature = "NFNetImageClassifier";
    internal const string ModelSignature = "NFNETCLS";
    internal const string WeightsStreamName = "TorchWeights";
    internal const string ArchitectureStreamName = "Architecture.json";
    internal const string PreprocessingStreamName = "Preprocessing.json";

    private static readonly JsonSerializerOptions PreprocessingJson = new()
    {
        WriteIndented = true,
        IgnoreReadOnlyProperties = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly IHost _host;
    private readonly ImageBatcher _batcher;
    // The forward passes take turns (see remarks); preprocessing does not hold it.
    private readonly Lock _forwardLock = new();

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: 0x00010001, // Initial: class count, architecture and preprocessing JSON, TorchSharp weights
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        // Lets Model.Load load this assembly by itself in a process that never touched it.
        loaderAssemblyName: typeof(NFNetModelParameters).Assembly.FullName);

    /// <summary>Wraps a trained model (in eval mode), which this object then owns.</summary>
    internal NFNetModelParameters(IHostEnvironment env, NFNetModel model, ImagePreprocessingOptions preprocessing)
    {
        _host = env.Register(LoaderSignature);
        Model = model;
        Preprocessing = preprocessing;
        _batcher = new ImageBatcher(preprocessing);
        Model.eval();
    }

    // Private, while Create is internal: ComponentCatalog refuses a loadable class whose Create and constructor
    // have the same visibility.
    private NFNetModelParameters(IHost host, ModelLoadContext ctx)
    {
        _host = host;

        // *** Binary format ***
        // int: number of classes
        // text stream Architecture.json: NFNetConfig.ToJson()
        // text stream Preprocessing.json: ImagePreprocessingOptions as JSON
        // stream TorchWeights: the network's state dict (TorchSharp Module.save)
        var classCount = ctx.Reader.ReadInt32();
        _host.CheckDecode(classCount > 1, "The model's class count must be at least 2.");
        var architecture = ReadJson(ctx, ArchitectureStreamName, NFNetConfig.FromJson);
        Preprocessing = ReadJson(ctx, PreprocessingStreamName,
            json => JsonSerializer.Deserialize<ImagePreprocessingOptions>(json, PreprocessingJson)!);
        _batcher = new ImageBatcher(Preprocessing); // validates the preprocessing

        Model = new NFNetModel(architecture, classCount);
        try
        {
            if (!ctx.TryLoadBinaryStream(WeightsStreamName, LoadWeights))
                throw _host.ExceptDecode($"The model has no '{WeightsStreamName}' stream.");
        }
        catch
        {
            Model.Dispose();
            throw;
        }
        Model.eval();
    }

    /// <summary>The network architecture.</summary>
    public NFNetConfig Architecture => Model.Config;

    /// <summary>Number of classes (the length of the Score vector).</summary>
    public int ClassCount => Model.NumClasses;

    /// <summary>How images are decoded, resized, cropped and normalised for scoring (training-only augmentation
    /// settings are kept for reference and have no effect on scoring).</summary>
    public ImagePreprocessingOptions Preprocessing { get; }

    /// <summary>
    /// The trained network, for advanced use (feature extraction, export). It stays owned by this object: do not dispose
    /// it, and do not change its weights or mode while this object scores.
    /// </summary>
    public NFNetModel Model { get; }

    // Called by ML.NET's ComponentCatalog when a model file names this loader.
    internal static NFNetModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = env.Register(LoaderSignature);
        ModelFormat.CheckAtModel(host, ctx, GetVersionInfo());
        return new NFNetModelParameters(host, ctx);
    }

    /// <summary>
    /// Class probabilities of each image, scored in batches of <paramref name="batchSize"/>: the fast path for many
    /// images (ML.NET's <c>Transform</c> and <c>PredictionEngine</c> score one row at a time).
    /// </summary>
    /// <exception cref="InvalidImageException">An image cannot be decoded; the message gives its index.</exception>
    public float[][] PredictProbabilities(IReadOnlyList<ReadOnlyMemory<byte>> images, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new float[images.Count][];
        for (var start = 0; start < images.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, images.Count - start);
            float[] probabilities;
            try
            {
                probabilities = ScoreBatch(images.Skip(start).Take(count).ToArray());
            }
            catch (InvalidImageException e) when (e.BatchIndex >= 0)
            {
                throw new InvalidImageException($"Image {start + e.BatchIndex}: {e.Message}", e);
            }
            for (var i = 0; i < count; i++)
                result[start + i] = probabilities.AsSpan(i * ClassCount, ClassCount).ToArray();
        }
        return result;
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(ClassCount);
        ctx.SaveTextStream(ArchitectureStreamName, w => w.Write(Architecture.ToJson()));
        ctx.SaveTextStream(PreprocessingStreamName, w => w.Write(JsonSerializer.Serialize(Preprocessing, PreprocessingJson)));
        lock (_forwardLock)
            ctx.SaveBinaryStream(WeightsStreamName, w => Model.save(w));
    }

    PredictionKind IPredictor.PredictionKind => PredictionKind.MulticlassClassification;

    DataViewType IValueMapper.InputType { get; } = new VectorDataViewType(NumberDataViewType.Byte);

    DataViewType IValueMapper.OutputType => new VectorDataViewType(NumberDataViewType.Single, ClassCount);

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        _host.Check(typeof(TSrc) == typeof(VBuffer<byte>), "The input must be a vector of bytes (the encoded image).");
        _host.Check(typeof(TDst) == typeof(VBuffer<float>), "The output must be a vector of floats.");
        ValueMapper<VBuffer<byte>, VBuffer<float>> map = ScoreRow;
        return (ValueMapper<TSrc, TDst>)(Delegate)map;
    }

    private void ScoreRow(in VBuffer<byte> image, ref VBuffer<float> scores)
    {
        // Copied: the batch needs memory that outlives the VBuffer, which ML.NET reuses for the next row.
        var bytes = image.DenseValues().ToArray();
        var probabilities = ScoreBatch([bytes]);
        var editor = VBufferEditor.Create(ref scores, ClassCount);
        probabilities.AsSpan().CopyTo(editor.Values);
        scores = editor.Commit();
    }

    /// <summary>Softmax probabilities of a batch, row-major <c>[images, classes]</c>.</summary>
    private float[] ScoreBatch(IReadOnlyList<ReadOnlyMemory<byte>> images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Preprocessing runs outside the lock, so threads decode and resize in parallel.
        var batch = _batcher.CreateEvaluationBatch(images);
        lock (_forwardLock)
        {
            var device = Model.Classifier.weight!.device;
            var probabilities = nn.functional.softmax(Model.forward(batch.to(device)), dim: 1);
            return probabilities.cpu().data<float>().ToArray();
        }
    }

    private T ReadJson<T>(ModelLoadContext ctx, string streamName, Func<string, T> parse)
    {
        string? json = null;
        if (!ctx.TryLoadTextStream(streamName, r => json = r.ReadToEnd()) || json == null)
            throw _host.ExceptDecode($"The model has no '{streamName}' stream.");
        try
        {
            return parse(json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw _host.ExceptDecode(e, $"The '{streamName}' stream of the model is corrupt: {e.Message}");
        }
    }

    private void LoadWeights(BinaryReader reader)
    {
        try
        {
            Model.load(reader);
        }
        // TorchSharp reports a short stream as EndOfStreamException and a foreign state dict as ArgumentException.
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            throw _host.ExceptDecode(e, $"The '{WeightsStreamName}' stream of the model is corrupt or truncated.");
        }
        // Module.load copies into the parameters in place; the eval-mode weight cache must not outlive that.
        Model.InvalidateWeightCache();
    }
}

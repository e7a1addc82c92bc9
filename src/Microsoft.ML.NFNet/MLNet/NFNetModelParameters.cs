using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using Microsoft.ML.NFNet.MLNet;
using Microsoft.ML.NFNet.Modeling;
using Microsoft.ML.NFNet.Preprocessing;
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
    internal const string WeightsStreamName = ModelStreams.WeightsStream;
    internal const string ArchitectureStreamName = ModelStreams.ArchitectureStream;
    private const uint FormatOne = 0x00010001;
    private const uint FormatTwo = 0x00020001;

    private readonly IHost host;
    private readonly ImageBatcher batcher;
    // The forward passes take turns (see remarks); preprocessing does not hold it.
    private readonly Lock forwardLock = new();

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: FormatTwo, // safetensors weights, stream hashes, label names, training summary
        verReadableCur: FormatTwo,
        verWeCanReadBack: FormatOne,
        loaderSignature: LoaderSignature,
        // Lets Model.Load load this assembly by itself in a process that never touched it.
        loaderAssemblyName: typeof(NFNetModelParameters).Assembly.FullName);

    /// <summary>Wraps a trained model (in eval mode), which this object then owns.</summary>
    internal NFNetModelParameters(IHostEnvironment env, NFNetModel model, ImagePreprocessingOptions preprocessing,
        IReadOnlyList<string>? labels, NFNetTrainingSummary? training)
    {
        host = env.Register(LoaderSignature);
        Model = model;
        Preprocessing = preprocessing;
        Labels = labels;
        Training = training;
        batcher = new ImageBatcher(preprocessing);
        Model.eval();
    }

    // Private, while Create is internal: ComponentCatalog refuses a loadable class whose Create and constructor
    // have the same visibility.
    private NFNetModelParameters(IHost host, NFNetModel model, SavedModelContent content)
    {
        this.host = host;
        Model = model;
        Preprocessing = content.Preprocessing;
        Labels = content.Labels;
        Training = content.Training;
        batcher = new ImageBatcher(Preprocessing); // validates the preprocessing
        Model.eval();
    }

    /// <summary>The network architecture.</summary>
    public NFNetConfig Architecture => Model.Config;

    /// <summary>Number of classes (the length of the Score vector).</summary>
    public int ClassCount => Model.NumClasses;

    /// <summary>The class names in score order (the label's key values at training time); null for models saved by
    /// format 1 of this library, which did not store them.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>How images are decoded, resized, cropped and normalised for scoring (training-only augmentation
    /// settings are kept for reference and have no effect on scoring).</summary>
    public ImagePreprocessingOptions Preprocessing { get; }

    /// <summary>How the model was trained (automatic choices, data profile, epochs); null for older models.</summary>
    public NFNetTrainingSummary? Training { get; }

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
        var (model, content) = ctx.Header.ModelVerWritten >= FormatTwo
            ? ModelStreams.LoadFormatTwo(host, ctx)
            : ModelStreams.LoadFormatOne(host, ctx);
        return new NFNetModelParameters(host, model, content);
    }

    /// <summary>
    /// Class probabilities of each image, scored in batches of <paramref name="batchSize"/>: the fast path for many
    /// images (ML.NET's <c>PredictionEngine</c> scores one row at a time).
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
                throw e.At($"Image {start + e.BatchIndex}");
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
        lock (forwardLock)
            ModelStreams.Save(ctx, Model, new SavedModelContent(ClassCount, Architecture, Preprocessing, Labels, Training));
    }

    PredictionKind IPredictor.PredictionKind => PredictionKind.MulticlassClassification;

    DataViewType IValueMapper.InputType { get; } = new VectorDataViewType(NumberDataViewType.Byte);

    DataViewType IValueMapper.OutputType => new VectorDataViewType(NumberDataViewType.Single, ClassCount);

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        host.Check(typeof(TSrc) == typeof(VBuffer<byte>), "The input must be a vector of bytes (the encoded image).");
        host.Check(typeof(TDst) == typeof(VBuffer<float>), "The output must be a vector of floats.");
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
        var batch = batcher.CreateEvaluationBatch(images);
        lock (forwardLock)
        {
            var device = Model.Classifier.weight!.device;
            var probabilities = Preprocessing.TestTimeAugmentation
                ? TestTimeViews.Average(batch, Preprocessing.HorizontalFlipProbability > 0,
                    view => nn.functional.softmax(Model.call(view.to(device)), dim: 1))
                : nn.functional.softmax(Model.call(batch.to(device)), dim: 1);
            return probabilities.cpu().data<float>().ToArray();
        }
    }
}

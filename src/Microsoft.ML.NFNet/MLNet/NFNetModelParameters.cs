using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using Microsoft.ML.Runtime;

// Registers the loader that mlContext.Model.Load finds through the loader signature and assembly name in the model file.
[assembly: LoadableClass(typeof(NFNetModelParameters), null, typeof(SignatureLoadModel),
    "NFNet image classifier", NFNetModelParameters.LoaderSignature)]

namespace Microsoft.ML.NFNet;

/// <summary>
/// A trained NFNet image classifier as ML.NET model parameters: maps encoded image bytes (JPEG, PNG, …) to class
/// probabilities (softmax). It is the <c>Model</c> of the <see cref="NFNetPredictionTransformer"/> that
/// <see cref="NFNetImageClassificationTrainer"/> returns (and of the <see cref="MulticlassPredictionTransformer{TModel}"/>
/// in models saved by earlier versions), and is saved into (and loaded from) ML.NET model files.
/// </summary>
/// <remarks>
/// <para><b>Lifetime.</b> The network's weights live in native (libtorch) memory. <see cref="Dispose"/> frees it, and
/// so does disposing the transformer that holds this object — directly, through the <c>ITransformer</c> pipeline you
/// got from <c>Fit</c> or <c>Model.Load</c>, or through a <c>PredictionEngine</c> that owns that transformer (ML.NET's
/// default). Scoring afterwards throws <see cref="ObjectDisposedException"/>. Engines that share one model and are
/// disposed while others still score (pools) must be created with
/// <c>new PredictionEngineOptions { OwnsTransformer = false }</c>, as ML.NET's own <c>PredictionEnginePool</c> does
/// from its next release on. Undisposed, the memory is released when the model is collected.</para>
/// <para><b>Threads.</b> Scoring is safe from several threads at once (e.g. one <c>PredictionEngine</c> per thread):
/// images are preprocessed in parallel and the forward passes take turns, because libtorch already spreads one forward
/// pass over all cores. <see cref="Dispose"/> waits for the forward pass in flight.</para>
/// <para><b>Speed.</b> The model is frozen for scoring (<see cref="NFNetModel.FreezeForScoring"/>): its standardized
/// conv weights are computed once, which makes small batches faster and costs one more copy of the conv weights.
/// <see cref="InferencePrecision"/> and <see cref="ScoringEngine"/> choose bfloat16 or ONNX Runtime; both are runtime
/// choices of this object, not saved with the model.</para>
/// </remarks>
public sealed class NFNetModelParameters : ICanSaveModel, IPredictorProducing<VBuffer<float>>, IValueMapper, IDisposable
{
    // At most 24 ASCII characters; stored in the model file and matched by the LoadableClass above.
    internal const string LoaderSignature = "NFNetImageClassifier";
    internal const string ModelSignature = "NFNETCLS";
    internal const string WeightsStreamName = ModelStreams.WeightsStream;
    internal const string ArchitectureStreamName = ModelStreams.ArchitectureStream;
    private const uint FormatOne = 0x00010001;
    private const uint FormatTwo = 0x00020001;

    private readonly IHost host;
    private readonly ScoringNetwork network;

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
        IReadOnlyList<string>? labels, NFNetTrainingResult? training)
    {
        host = env.Register(LoaderSignature);
        Labels = labels;
        Training = training;
        network = new ScoringNetwork(model, preprocessing, nameof(NFNetModelParameters));
    }

    // Private, while Create is internal: ComponentCatalog refuses a loadable class whose Create and constructor
    // have the same visibility.
    private NFNetModelParameters(IHost host, NFNetModel model, SavedModelContent content)
    {
        this.host = host;
        Labels = content.Labels;
        Training = content.Training;
        network = new ScoringNetwork(model, content.Preprocessing, nameof(NFNetModelParameters)); // validates the preprocessing
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
    public ImagePreprocessingOptions Preprocessing => network.Preprocessing;

    /// <summary>How the model was trained (automatic choices, data profile, epochs); null for older models.</summary>
    public NFNetTrainingResult? Training { get; }

    /// <summary>
    /// The trained network, for advanced use (feature extraction, export). It stays owned by this object: do not dispose
    /// it, and do not change its weights or mode while this object scores.
    /// </summary>
    public NFNetModel Model => network.Model;

    /// <summary>The scoring network shared with the transformer that batches <c>Transform</c>.</summary>
    internal ScoringNetwork Network => network;

    /// <summary>
    /// The number format of the TorchSharp engine's activations and convolutions (default float32). bfloat16 is faster
    /// on CPUs with bfloat16 instructions (slower on others), with probabilities within a few 1e-2 of float32 (see the
    /// README's performance section). Not saved with the model; ONNX Runtime always scores in float32.
    /// </summary>
    public NFNetPrecision InferencePrecision
    {
        get => network.InferencePrecision;
        set => network.InferencePrecision = value;
    }

    /// <summary>
    /// What runs the network when this object scores (default <see cref="NFNetScoringEngine.TorchSharp"/>). Setting
    /// <see cref="NFNetScoringEngine.OnnxRuntime"/> exports the model to ONNX in memory and opens an ONNX Runtime session
    /// at once (a few seconds for the large variants); the application must reference <c>Microsoft.ML.OnnxRuntime</c>.
    /// When other processes compete for the cores, scoring may open a session with another thread count (another
    /// export, once per count; at most three sessions stay open).
    /// Not saved with the model: set it again after <c>Model.Load</c> (e.g. through <see cref="FindIn"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (the message says what to add).</exception>
    public NFNetScoringEngine ScoringEngine
    {
        get => network.ScoringEngine;
        set => network.ScoringEngine = value;
    }

    /// <summary>The NFNet model parameters inside a fitted or loaded pipeline (a transformer chain, or the prediction
    /// transformer itself), to set <see cref="ScoringEngine"/> or <see cref="InferencePrecision"/> after
    /// <c>Model.Load</c>; null when there is none.</summary>
    public static NFNetModelParameters? FindIn(ITransformer transformer) => transformer switch
    {
        IPredictionTransformer<NFNetModelParameters> prediction => prediction.Model,
        IEnumerable<ITransformer> chain => chain.Select(FindIn).LastOrDefault(p => p is not null),
        _ => null,
    };

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
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public float[][] PredictProbabilities(IReadOnlyList<ReadOnlyMemory<byte>> images, int batchSize = NFNetPredictionTransformer.DefaultBatchSize)
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
                probabilities = network.Run(images.Skip(start).Take(count).ToArray(), NetworkOutput.Probabilities);
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

    /// <summary>
    /// Writes the network to an ONNX file (<see cref="NFNetOnnxExporter"/>) with this model's scoring preprocessing and
    /// <see cref="Labels"/> in its metadata, so ONNX Runtime (or <c>ApplyOnnxModel</c>) reproduces <c>Score</c> from the
    /// same pixels: input <c>input</c> float32 <c>[batch, 3, S, S]</c> at the scoring size, outputs <c>probabilities</c>
    /// and <c>features</c>. The file is written atomically.
    /// </summary>
    /// <param name="path">The file to write (its folder must exist).</param>
    /// <param name="options">Input size, opset, outputs; its <c>Preprocessing</c> and <c>LabelNames</c> default to this
    /// model's. Null: all defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid (named).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public void ExportOnnx(string path, NFNetOnnxExportOptions? options = null)
    {
        options ??= new NFNetOnnxExportOptions();
        options = options with
        {
            Preprocessing = options.Preprocessing ?? Preprocessing,
            LabelNames = options.LabelNames ?? Labels,
        };
        network.WithModel(model =>
        {
            NFNetOnnxExporter.Export(model, path, options);
            return 0;
        });
    }

    /// <summary>
    /// Frees the network's native memory (waiting for a forward pass in flight). Scoring, saving or exporting afterwards
    /// throws <see cref="ObjectDisposedException"/>. Disposing the transformer or pipeline that holds this model calls
    /// it; calling it twice does nothing.
    /// </summary>
    public void Dispose() => network.Dispose();

    /// <summary>
    /// Writes the model for PyTorch into <paramref name="directory"/>: <c>model.safetensors</c> (timm's tensor names) and
    /// timm's hub <c>config.json</c> (architecture, class count, <see cref="Labels"/> as <c>label_names</c>, and
    /// <see cref="Preprocessing"/> as <c>pretrained_cfg</c>). <c>timm.create_model("local-dir:&lt;directory&gt;")</c> then
    /// gives the same logits (README, "Transfer learning"), and <c>PretrainedWeights = directory</c> reads it back.
    /// </summary>
    /// <remarks>Written into a temporary folder and renamed into place: a failure leaves nothing half-written. In an
    /// existing folder only these two files are replaced.</remarks>
    /// <exception cref="InvalidOperationException">A weight holds NaN or ∞; nothing is written.</exception>
    /// <exception cref="NotSupportedException">The architecture cannot be described to timm (tanh-GELU activations).</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public void ExportTimm(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        network.WithModel(model =>
        {
            TimmExport.Write(model, directory, Preprocessing, Labels);
            return 0;
        });
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        network.WithModel(model =>
        {
            ModelStreams.Save(ctx, model, new SavedModelContent(ClassCount, Architecture, Preprocessing, Labels, Training));
            return 0;
        });
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
        var probabilities = network.Run([bytes], NetworkOutput.Probabilities);
        var editor = VBufferEditor.Create(ref scores, ClassCount);
        probabilities.AsSpan().CopyTo(editor.Values);
        scores = editor.Commit();
    }
}

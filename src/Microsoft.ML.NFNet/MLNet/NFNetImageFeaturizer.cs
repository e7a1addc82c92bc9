using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using Microsoft.ML.Runtime;

// Registers the loader that mlContext.Model.Load finds through the loader signature and assembly name in the model file.
[assembly: LoadableClass(typeof(NFNetImageFeaturizer), null, typeof(SignatureLoadModel),
    "NFNet image featurizer", NFNetImageFeaturizer.LoaderSignature)]

namespace Microsoft.ML.NFNet;

/// <summary>
/// Adds a column of NFNet image features: the pooled pre-logits features of each encoded image
/// (<see cref="NFNetModel.ForwardFeatures"/>, a vector of <see cref="FeatureCount"/> floats), for any ML.NET trainer
/// (<c>LbfgsMaximumEntropy</c>, <c>LightGbm</c>, <c>KMeans</c>, ...) or for similarity search. Made by
/// <c>mlContext.Transforms.NFNetFeaturizeImage(...)</c>.
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> reads <see cref="BatchSize"/> rows ahead and featurizes their images in one forward
/// pass; a <c>PredictionEngine</c> featurizes its one row. Bad images, disposal and threads behave as for
/// <see cref="NFNetPredictionTransformer"/>: an undecodable image fails its row with an
/// <see cref="InvalidImageException"/> naming the row, or, with <see cref="InvalidImageColumnName"/> set, gets NaN
/// features and <c>true</c> in that column; <see cref="Dispose"/> frees the network's native memory.</para>
/// <para>Saved by <c>mlContext.Model.Save</c> with its architecture, preprocessing and weights (safetensors, each stream
/// checksummed), so <c>Model.Load</c> restores it in a fresh process without the original weights file.</para>
/// </remarks>
public sealed class NFNetImageFeaturizer : ITransformer, IDisposable
{
    // At most 24 ASCII characters; stored in the model file and matched by the LoadableClass above.
    internal const string LoaderSignature = "NFNetImageFeaturizer";
    private const string ModelSignature = "NFNETFEA";
    private const uint FormatOne = 0x00010001;

    private readonly IHost host;

    internal NFNetImageFeaturizer(IHostEnvironment env, NFNetModel model, ImagePreprocessingOptions preprocessing,
        string outputColumnName, string inputColumnName, int batchSize, string? invalidImageColumnName)
    {
        host = env.Register(nameof(NFNetImageFeaturizer));
        Network = new ScoringNetwork(model, preprocessing, nameof(NFNetImageFeaturizer));
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        BatchSize = batchSize;
        InvalidImageColumnName = invalidImageColumnName;
    }

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: FormatOne,
        verReadableCur: FormatOne,
        verWeCanReadBack: FormatOne,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(NFNetImageFeaturizer).Assembly.FullName);

    /// <summary>The column of encoded image bytes it reads.</summary>
    public string InputColumnName { get; }

    /// <summary>The column of features it adds: a vector of <see cref="FeatureCount"/> floats.</summary>
    public string OutputColumnName { get; }

    /// <summary>Length of the feature vector (the network's pooled feature width, e.g. 2304 for <c>eca_nfnet_l0</c>).</summary>
    public int FeatureCount => Network.Model.NumFeatures;

    /// <summary>The network architecture.</summary>
    public NFNetConfig Architecture => Network.Model.Config;

    /// <summary>How images are decoded, resized, cropped and normalised before the network.</summary>
    public ImagePreprocessingOptions Preprocessing => Network.Preprocessing;

    /// <summary>Images featurized per forward pass by <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>The Boolean output column that is true for rows whose image could not be decoded (their features are NaN);
    /// null when such a row fails the cursor instead (the default).</summary>
    public string? InvalidImageColumnName { get; }

    internal ScoringNetwork Network { get; }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema plus the feature column (and the invalid-image column when set).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a byte vector.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <summary>Featurizes <paramref name="input"/> lazily, <see cref="BatchSize"/> images per forward pass, rows in order.</summary>
    /// <exception cref="ObjectDisposedException">The featurizer was disposed.</exception>
    public IDataView Transform(IDataView input)
    {
        host.CheckValue(input, nameof(input));
        Network.ThrowIfDisposed();
        return new BatchScoredDataView(input, Bind(input.Schema));
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Network.ThrowIfDisposed();
        return new SingleImageRowMapper(Bind(inputSchema));
    }

    /// <summary>Frees the network's native memory (waiting for a forward pass in flight); featurizing afterwards throws
    /// <see cref="ObjectDisposedException"/>. Disposing a pipeline that holds this featurizer calls it.</summary>
    public void Dispose() => Network.Dispose();

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // *** Binary format ***
        // int: batch size
        // string id: input column; string id: output column; string id or null: invalid-image column
        // then the network as ModelStreams writes it (format 2 of NFNetModelParameters: class count, stream table with
        //     SHA-256 per stream, Architecture.json, Preprocessing.json, Labels.json (empty), Training.json (null),
        //     Weights.safetensors)
        ctx.Writer.Write(BatchSize);
        ctx.SaveNonEmptyString(InputColumnName);
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.SaveStringOrNull(InvalidImageColumnName);
        Network.WithModel(model =>
        {
            ModelStreams.Save(ctx, model, new SavedModelContent(model.NumClasses, model.Config, Preprocessing, null, null));
            return 0;
        });
    }

    // Called by ML.NET's ComponentCatalog when a model file names this loader.
    internal static NFNetImageFeaturizer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = env.Register(nameof(NFNetImageFeaturizer));
        ModelFormat.CheckAtModel(host, ctx, GetVersionInfo());
        var batchSize = ctx.Reader.ReadInt32();
        host.CheckDecode(batchSize is >= 1 and <= NFNetPredictionTransformer.MaxBatchSize, $"The featurizer's batch size {batchSize} is corrupt.");
        var input = ctx.LoadNonEmptyString();
        var output = ctx.LoadNonEmptyString();
        var invalid = ctx.LoadStringOrNull();
        var (model, content) = ModelStreams.LoadFormatTwo(host, ctx);
        try
        {
            return new NFNetImageFeaturizer(host, model, content.Preprocessing, output, input, batchSize, invalid);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private ScoringSchema Bind(DataViewSchema inputSchema)
    {
        host.CheckValue(inputSchema, nameof(inputSchema));
        var image = ImageColumnCheck.Check(host, inputSchema, InputColumnName, "input");
        var features = new DataViewSchema.DetachedColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, FeatureCount));
        var hint = InvalidImageColumnName is null
            ? $"To get NaN features with a flag instead, set {nameof(NFNetImageFeaturizerEstimator)}.Options." +
              $"{nameof(NFNetImageFeaturizerEstimator.Options.InvalidImageColumnName)}."
            : "";
        return ScoringSchema.Create(inputSchema, image, [features], OutputColumnName, null, InvalidImageColumnName,
            new ImageScorer(Network, NetworkOutput.Features, BatchSize, hint));
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet;
using Microsoft.ML.Runtime;

// Registers the loader that mlContext.Model.Load finds through the loader signature and assembly name in the model file.
[assembly: LoadableClass(typeof(NFNetPredictionTransformer), null, typeof(SignatureLoadModel),
    "NFNet prediction transformer", NFNetPredictionTransformer.LoaderSignature)]

namespace Microsoft.ML.NFNet;

/// <summary>
/// What <see cref="NFNetImageClassificationTrainer"/> returns: scores encoded images with an
/// <see cref="NFNetModelParameters"/>, adding the columns ML.NET's multiclass trainers add (<c>Score</c>, one
/// probability per class with the class names as slot names, and the key <c>PredictedLabel</c>, with the same
/// annotations), so <c>Evaluate</c>, <c>CrossValidate</c>, <c>MapKeyToValue</c>, <c>PredictionEngine</c> and
/// <c>mlContext.Model.Save/Load</c> work as with ML.NET's own trainers.
/// </summary>
/// <remarks>
/// <para><b>Batching.</b> <see cref="Transform"/> reads <see cref="BatchSize"/> rows ahead and scores their images in one
/// forward pass, then serves the rows in their order; a <c>PredictionEngine</c> scores its one row per call.</para>
/// <para><b>Bad images.</b> By default an image that cannot be decoded fails when its row is read, with an
/// <see cref="InvalidImageException"/> that names the row ("Row 17 ('ImageSource' column): ..."); the rows
/// before it are served normally. With <see cref="InvalidImageColumnName"/> set, such a row instead gets NaN in every
/// <c>Score</c> slot, a missing <c>PredictedLabel</c> (key 0, an empty string after <c>MapKeyToValue</c>) and
/// <c>true</c> in that Boolean column, and scoring goes on.</para>
/// <para><b>Lifetime.</b> <see cref="Dispose"/> frees the network's native memory (see <see cref="NFNetModelParameters"/>);
/// scoring afterwards throws <see cref="ObjectDisposedException"/>.</para>
/// <para>Models saved by versions that returned ML.NET's <c>MulticlassPredictionTransformer</c> still load as that type,
/// with the same scores, and score one row per forward pass.</para>
/// </remarks>
public sealed class NFNetPredictionTransformer : ISingleFeaturePredictionTransformer<NFNetModelParameters>, IDisposable
{
    // At most 24 ASCII characters; stored in the model file and matched by the LoadableClass above.
    internal const string LoaderSignature = "NFNetPredictionXfer";
    private const string ModelSignature = "NFNETPXF";
    private const uint FormatOne = 0x00010001;
    private const string ScorerName = "Scorer";
    internal const int MaxBatchSize = 4096;

    /// <summary>Images per forward pass when scoring, unless an option says otherwise: on a CPU, batch 8 scored
    /// eca_nfnet_l0 at 224 px at 33 rows/s and batch 32 at 15 (docs/scoring.md); the one default of every scoring path.</summary>
    internal const int DefaultBatchSize = 8;

    private readonly IHost host;
    // ML.NET's multiclass scorer over the same model: the source of the output columns and their annotations (slot names,
    // key values, score column kind and set id), and of the training label schema it saves. Never used to score.
    private readonly MulticlassPredictionTransformer<NFNetModelParameters> scorer;

    internal NFNetPredictionTransformer(IHostEnvironment env, MulticlassPredictionTransformer<NFNetModelParameters> scorer,
        string scoreColumnName, string predictedLabelColumnName, int batchSize, string? invalidImageColumnName)
    {
        host = env.Register(nameof(NFNetPredictionTransformer));
        this.scorer = scorer;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = predictedLabelColumnName;
        BatchSize = batchSize;
        InvalidImageColumnName = invalidImageColumnName;
    }

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: FormatOne,
        verReadableCur: FormatOne,
        verWeCanReadBack: FormatOne,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(NFNetPredictionTransformer).Assembly.FullName);

    /// <summary>The trained model.</summary>
    public NFNetModelParameters Model => scorer.Model;

    /// <summary>The column of encoded image bytes it reads.</summary>
    public string FeatureColumnName => scorer.FeatureColumnName;

    /// <summary>The type of <see cref="FeatureColumnName"/> at training time (a vector of bytes).</summary>
    public DataViewType FeatureColumnType => scorer.FeatureColumnType;

    /// <summary>The output column of class probabilities.</summary>
    public string ScoreColumnName { get; }

    /// <summary>The output column of the predicted class (a key of the label's type).</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>Images scored per forward pass by <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>The Boolean output column that is true for rows whose image could not be decoded (their scores are NaN);
    /// null when such a row fails the cursor instead (the default).</summary>
    public string? InvalidImageColumnName { get; }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema plus the scored columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or not a byte vector.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <summary>Scores <paramref name="input"/> lazily, <see cref="BatchSize"/> images per forward pass, rows in order.</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public IDataView Transform(IDataView input)
    {
        host.CheckValue(input, nameof(input));
        Model.Network.ThrowIfDisposed();
        return new BatchScoredDataView(input, Bind(input.Schema));
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Model.Network.ThrowIfDisposed();
        return new SingleImageRowMapper(Bind(inputSchema));
    }

    /// <summary>Frees the model's native memory (<see cref="NFNetModelParameters.Dispose"/>); a second call does nothing.</summary>
    public void Dispose() => Model.Dispose();

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // *** Binary format ***
        // int: scoring batch size
        // string id: score column; string id: predicted label column; string id or null: invalid-image column
        // sub-model "Scorer": ML.NET's MulticlassPredictionTransformer over the model (its own format, holding the
        //     training schema and, under "Model", NFNetModelParameters)
        ctx.Writer.Write(BatchSize);
        ctx.SaveNonEmptyString(ScoreColumnName);
        ctx.SaveNonEmptyString(PredictedLabelColumnName);
        ctx.SaveStringOrNull(InvalidImageColumnName);
        ctx.SaveModel(scorer, ScorerName);
    }

    // Called by ML.NET's ComponentCatalog when a model file names this loader.
    internal static NFNetPredictionTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = env.Register(nameof(NFNetPredictionTransformer));
        ModelFormat.CheckAtModel(host, ctx, GetVersionInfo());
        var batchSize = ctx.Reader.ReadInt32();
        host.CheckDecode(batchSize is >= 1 and <= MaxBatchSize, $"The model's scoring batch size {batchSize} is corrupt.");
        var scoreColumn = ctx.LoadNonEmptyString();
        var predictedLabelColumn = ctx.LoadNonEmptyString();
        var invalidImageColumn = ctx.LoadStringOrNull();
        ctx.LoadModel<ITransformer, SignatureLoadModel>(host, out var loaded, ScorerName);
        if (loaded is not MulticlassPredictionTransformer<NFNetModelParameters> scorer)
            throw host.ExceptDecode($"The model is corrupt: its '{ScorerName}' entry holds {loaded.GetType().Name}, not an NFNet scorer.");
        return new NFNetPredictionTransformer(host, scorer, scoreColumn, predictedLabelColumn, batchSize, invalidImageColumn);
    }

    private ScoringSchema Bind(DataViewSchema inputSchema)
    {
        host.CheckValue(inputSchema, nameof(inputSchema));
        var image = ImageColumnCheck.Check(host, inputSchema, FeatureColumnName, "feature");
        var scored = scorer.GetOutputSchema(inputSchema);
        var outputs = scored.Skip(inputSchema.Count).Select(column => new DataViewSchema.DetachedColumn(column));
        var hint = InvalidImageColumnName is null
            ? $"To score such rows as NaN with a flag instead, train with {nameof(NFNetImageClassificationTrainer)}.Options." +
              $"{nameof(NFNetImageClassificationTrainer.Options.InvalidImageColumnName)} set."
            : "";
        return ScoringSchema.Create(inputSchema, image, outputs, ScoreColumnName, PredictedLabelColumnName, InvalidImageColumnName,
            new ImageScorer(Model.Network, NetworkOutput.Probabilities, BatchSize, hint));
    }
}

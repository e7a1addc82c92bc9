using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.NFNet;

/// <summary>
/// <c>mlContext.Transforms.NFNetFeaturizeImage(...)</c>: adds the pooled NFNet features of each encoded image. The
/// weights are loaded (and, for a published name, downloaded) when the estimator is created, so a bad weights string
/// fails at once; <see cref="Fit"/> only checks the input schema and returns the <see cref="NFNetImageFeaturizer"/>
/// (the same one every time, as ML.NET's <c>ApplyOnnxModel</c> does).
/// </summary>
public sealed class NFNetImageFeaturizerEstimator : IEstimator<NFNetImageFeaturizer>
{
    /// <summary>Settings of <see cref="NFNetImageFeaturizerEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>The column of features to add (a vector of floats).</summary>
        public string OutputColumnName = "Features";

        /// <summary>The column of encoded image bytes (JPEG, PNG, ...) as a byte vector, e.g. from
        /// <c>LoadRawImageBytes</c> or a <c>byte[]</c> property.</summary>
        public string InputColumnName = "ImageSource";

        /// <summary>
        /// Where the network comes from: a published name from <see cref="NFNetPretrained.All"/> (e.g.
        /// <c>eca_nfnet_l0.ra2_in1k</c>, downloaded from the Hugging Face hub on first use and cached as
        /// huggingface_hub does), a <c>.safetensors</c> file with timm's tensor names (the architecture is recognised
        /// from its tensors), a folder holding <c>model.safetensors</c> and timm's <c>config.json</c> (an
        /// <c>ExportTimm</c> folder), or a model zip saved from a pipeline with <c>Trainers.NFNet</c> or
        /// <c>NFNetFeaturizeImage</c>: the strings the trainer's <c>PretrainedWeights</c> takes. Required.
        /// </summary>
        public string Weights = "";

        /// <summary>Images featurized per forward pass by <c>Transform</c> (default 8, at most 4096; on a CPU larger batches are slower per image).</summary>
        public int ScoringBatchSize = NFNetPredictionTransformer.DefaultBatchSize;

        /// <summary>Side of the square network input in pixels; null (default): the scoring size the weights came with
        /// (the published test size for catalog weights, the trained model's scoring size for a model zip). At least the
        /// architecture's total stride.</summary>
        public int? ImageSize;

        /// <summary>Null (default): an image that cannot be decoded fails its row with an
        /// <see cref="InvalidImageException"/> naming the row. A column name: such a row gets NaN features
        /// and <c>true</c> in this Boolean column (false for the others), and featurizing goes on.</summary>
        public string? InvalidImageColumnName;

        /// <summary>Cancels a download of published weights.</summary>
        public CancellationToken CancellationToken;
    }

    private readonly IHost host;
    private readonly NFNetImageFeaturizer featurizer;

    internal NFNetImageFeaturizerEstimator(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        host = env.Register(nameof(NFNetImageFeaturizerEstimator));
        Validate(options);
        var weights = PretrainedWeightsSource.Resolve(options.Weights, $"{nameof(Options)}.{nameof(Options.Weights)}", options.CancellationToken);
        try
        {
            var preprocessing = weights.Preprocessing;
            if (options.ImageSize is { } size)
            {
                new OptionCheck($"{nameof(NFNetImageFeaturizerEstimator)}.{nameof(Options)}").AtLeast(size, weights.Model.Config.MinimumImageSize,
                    nameof(Options.ImageSize));
                preprocessing = preprocessing with { EvalImageSize = size };
            }
            using (var channel = host.Start("Loading weights"))
                channel.Info($"NFNet featurizer: {weights.Description}, {weights.Model.NumFeatures} features per image.");
            featurizer = new NFNetImageFeaturizer(host, weights.Model, preprocessing, options.OutputColumnName,
                options.InputColumnName, options.ScoringBatchSize, options.InvalidImageColumnName);
        }
        catch
        {
            weights.Model.Dispose();
            throw;
        }
    }

    /// <summary>Checks that the input column holds encoded image bytes and returns the featurizer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a byte vector.</exception>
    public NFNetImageFeaturizer Fit(IDataView input)
    {
        host.CheckValue(input, nameof(input));
        ImageColumnCheck.Check(host, input.Schema, featurizer.InputColumnName, "input");
        return featurizer;
    }

    /// <summary>The input schema plus the feature column (and the invalid-image column when set).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        host.CheckValue(inputSchema, nameof(inputSchema));
        ImageColumnCheck.Check(host, inputSchema, featurizer.InputColumnName, "input");
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[featurizer.OutputColumnName] = new SchemaShape.Column(featurizer.OutputColumnName, SchemaShape.Column.VectorKind.Vector,
            NumberDataViewType.Single, false);
        if (featurizer.InvalidImageColumnName is { } invalid)
            columns[invalid] = new SchemaShape.Column(invalid, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
        return new SchemaShape(columns.Values);
    }

    private static void Validate(Options options)
    {
        var check = new OptionCheck($"{nameof(NFNetImageFeaturizerEstimator)}.{nameof(Options)}");
        check.That(!string.IsNullOrWhiteSpace(options.OutputColumnName), nameof(Options.OutputColumnName), options.OutputColumnName, "must name a column");
        check.That(!string.IsNullOrWhiteSpace(options.InputColumnName), nameof(Options.InputColumnName), options.InputColumnName, "must name a column");
        check.That(options.ScoringBatchSize is >= 1 and <= NFNetPredictionTransformer.MaxBatchSize, nameof(Options.ScoringBatchSize), options.ScoringBatchSize,
            $"must be in [1, {NFNetPredictionTransformer.MaxBatchSize}]");
        check.That(options.InvalidImageColumnName is null || (!string.IsNullOrWhiteSpace(options.InvalidImageColumnName)
                && options.InvalidImageColumnName != options.OutputColumnName),
            nameof(Options.InvalidImageColumnName), options.InvalidImageColumnName,
            "must be null (bad images fail featurizing) or name a column other than the output column");
        check.NotNull(options.Weights, nameof(Options.Weights));
    }
}

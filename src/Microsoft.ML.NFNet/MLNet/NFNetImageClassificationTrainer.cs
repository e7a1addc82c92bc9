using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Trains an NFNet image classifier on encoded image bytes (a <c>byte[]</c> / variable-length byte vector column, e.g.
/// from <c>File.ReadAllBytes</c> or <c>mlContext.Transforms.LoadRawImageBytes</c>) and a key label (from
/// <c>MapValueToKey</c>). Create it with <c>mlContext.MulticlassClassification.Trainers.NFNet(...)</c>.
/// </summary>
/// <remarks>
/// <para>The result is an <see cref="NFNetPredictionTransformer"/>: <c>Score</c> holds one probability per class (slot
/// names = the label's key values), <c>PredictedLabel</c> is a key, with the annotations of ML.NET's multiclass trainers,
/// so <c>MapKeyToValue</c>, <c>Evaluate</c>, <c>CrossValidate</c>, <c>PredictionEngine</c> and
/// <c>mlContext.Model.Save/Load</c> work as with ML.NET's own trainers; its <c>Transform</c> scores in batches. The
/// model holds native memory: see <see cref="NFNetModelParameters"/> for its lifetime.</para>
/// <para>Every row is read into memory and every image decoded once before training, so a bad row fails fast with its
/// row number. Training starts from random weights, or from <see cref="Options.PretrainedWeights"/> (transfer learning:
/// published ImageNet weights, a safetensors file, or a model zip of this trainer), which are found, downloaded and
/// checked before the data is read.</para>
/// </remarks>
public sealed class NFNetImageClassificationTrainer
    : ITrainerEstimator<NFNetPredictionTransformer, NFNetModelParameters>
{
    /// <summary>Settings of <see cref="NFNetImageClassificationTrainer"/>: the ML.NET-specific ones here, everything
    /// about training in <see cref="Training"/> (the same record the training engine takes).</summary>
    public sealed class Options
    {
        /// <summary>The label column: a key (use <c>MapValueToKey</c> on a text or number label).</summary>
        public string LabelColumnName = DefaultColumnNames.Label;

        /// <summary>The image column: encoded image bytes (JPEG, PNG, BMP, GIF, WEBP, …) as a byte vector.</summary>
        public string FeatureColumnName = DefaultColumnNames.Features;

        /// <summary>The output column of class probabilities.</summary>
        public string ScoreColumnName = DefaultColumnNames.Score;

        /// <summary>The output column of the predicted class (a key of the label's type).</summary>
        public string PredictedLabelColumnName = DefaultColumnNames.PredictedLabel;

        /// <summary>
        /// The network; null (default): automatic, <c>nfnet_tiny</c> (under 1 M parameters), which trains from scratch
        /// on a few thousand images in minutes on a CPU. The published variants (<c>dm_nfnet_f0</c> … <c>f6</c>,
        /// <c>nfnet_l0</c>, <c>eca_nfnet_l*</c>) are 35–440 M parameters and are meant for GPUs or pretrained weights.
        /// </summary>
        public NFNetConfig? Architecture;

        /// <summary>
        /// Start from pretrained weights (transfer learning) instead of random ones. Null (default): random weights. One of:
        /// <list type="bullet">
        /// <item>a published name from <c>NFNetPretrained.All</c>, e.g. <c>"eca_nfnet_l0.ra2_in1k"</c> (or just the
        /// architecture, <c>"eca_nfnet_l0"</c>, for its default weights): downloaded once from the Hugging Face hub into
        /// huggingface_hub's cache (<c>~/.cache/huggingface/hub</c>, shared with Python's timm), see
        /// <see cref="PretrainedWeightsDownload"/>;</item>
        /// <item>a <c>.safetensors</c> file with timm's tensor names (timm's, <c>SaveWeights</c>', <c>ExportTimm</c>'s), or a
        /// folder holding <c>model.safetensors</c> and timm's <c>config.json</c> (an <c>ExportTimm</c> folder, a hub snapshot);</item>
        /// <item>a model zip saved from this trainer: continue training it, or fine-tune it again on new classes.</item>
        /// </list>
        /// <para>The architecture follows from the weights (an explicit <see cref="Architecture"/> must agree with them; it may
        /// change only the drop rates). The preprocessing settings left null follow the weights' configuration: their
        /// training resolution for training, their test resolution and crop for scoring, crop mode, filter, mean and
        /// standard deviation. A head for other classes is replaced by a new one (timm's initialisation); everything else
        /// is loaded strictly. <see cref="NFNetTrainingOptions.TrainableParts"/> says what trains (automatic by default).
        /// Every check runs before the data is read.</para>
        /// </summary>
        public string? PretrainedWeights;

        /// <summary>How a published <see cref="PretrainedWeights"/> name is downloaded: hub endpoint, cache folder, token,
        /// offline mode, progress. Null (default): huggingface_hub's environment variables (<c>HF_ENDPOINT</c>,
        /// <c>HF_HUB_CACHE</c>, <c>HF_TOKEN</c>, <c>HF_HUB_OFFLINE</c>…); progress is logged to the MLContext log.</summary>
        public HubDownloadOptions? PretrainedWeightsDownload;

        /// <summary>Labelled images to validate on after each epoch (same columns as the training data). Null (default)
        /// splits <see cref="ValidationSetFraction"/> off the training data.</summary>
        public IDataView? ValidationSet;

        /// <summary>Fraction of each class held out for validation when <see cref="ValidationSet"/> is null, in [0, 1)
        /// (default 0.1); 0 trains on everything without validation (and without early stopping).</summary>
        public double ValidationSetFraction = 0.1;

        /// <summary>Continue from the last checkpoint in <see cref="NFNetTrainingOptions.CheckpointDirectory"/> when there
        /// is one (after a crash or a cancellation), instead of starting afresh (default false). Needs the same data,
        /// options and an explicit <see cref="NFNetTrainingOptions.Seed"/>; a checkpoint of another run is rejected with
        /// an error that says so.</summary>
        public bool ResumeFromCheckpoint;

        /// <summary>Cancels training (<see cref="OperationCanceledException"/>), also while the data is read and checked.</summary>
        public CancellationToken CancellationToken;

        /// <summary>Images the trained model's <c>Transform</c> scores per forward pass (default 8, at most 4096; on a CPU
        /// larger batches are slower per image, see docs/scoring.md); saved with the model. A <c>PredictionEngine</c>
        /// always scores its one row.</summary>
        public int ScoringBatchSize = NFNetPredictionTransformer.DefaultBatchSize;

        /// <summary>
        /// Null (default): when the trained model scores an image that cannot be decoded (corrupt, truncated, empty, not
        /// an image, over the pixel limit), reading that row throws an <see cref="InvalidImageException"/> that names the
        /// row. A column name: such a row gets NaN in every <c>Score</c> slot, a missing <c>PredictedLabel</c> (key 0)
        /// and <c>true</c> in this Boolean output column (false for every other row), and scoring goes on. Saved with
        /// the model; training itself is governed by <see cref="NFNetTrainingOptions.SkipInvalidImages"/>.
        /// </summary>
        public string? InvalidImageColumnName;

        /// <summary>Epochs, batch size, preprocessing and augmentation, the optimizer, what trains, early stopping,
        /// checkpoints, device, precision, seed and progress reporting, one statement deep
        /// (<c>options.Training.Epochs = 5;</c>). Settings left null are chosen from the data (logged, and saved with the
        /// model in <see cref="NFNetModelParameters.Training"/>).</summary>
        public NFNetTrainingOptions Training = new();

        /// <summary>How much of the data is kept in memory before it goes to a temp file, and where (tests set a small
        /// budget to force the temp file).</summary>
        internal DataMemoryBudget DataMemory = DataMemoryBudget.Default;

        /// <summary>A copy that shares no mutable object with this one: what <c>Fit</c> trains with.</summary>
        internal Options Copy()
        {
            var copy = (Options)MemberwiseClone();
            copy.Training = Training.Copy();
            copy.PretrainedWeightsDownload = PretrainedWeightsDownload is null ? null : PretrainedWeightsDownload with { };
            return copy;
        }

        /// <summary>What the returned model scores with (default <see cref="NFNetScoringEngine.TorchSharp"/>); sets
        /// <see cref="NFNetModelParameters.ScoringEngine"/>. <see cref="NFNetScoringEngine.OnnxRuntime"/> needs the
        /// application to reference <c>Microsoft.ML.OnnxRuntime</c>. A runtime choice: not saved with the model.</summary>
        public NFNetScoringEngine ScoringEngine = NFNetScoringEngine.TorchSharp;

        /// <summary>The number format the returned model scores in on TorchSharp (default float32); sets
        /// <see cref="NFNetModelParameters.InferencePrecision"/>. Training's own is <see cref="NFNetTrainingOptions.Precision"/>.
        /// A runtime choice: not saved with the model.</summary>
        public NFNetPrecision ScoringPrecision = NFNetPrecision.Float32;
    }

    /// <summary>The architecture used when <see cref="Options.Architecture"/> is null.</summary>
    internal static NFNetConfig DefaultArchitecture => NFNetConfig.Variant("nfnet_tiny");

    private readonly IHost host;
    private readonly Options settings;

    internal NFNetImageClassificationTrainer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        host = env.Register(nameof(NFNetImageClassificationTrainer));
        Validate(options);
        settings = options;
    }

    /// <summary>No normalisation or caching needed: the images are read once and kept (in memory or a temp file).</summary>
    public TrainerInfo Info { get; } = new(normalization: false, caching: false);

    /// <summary>The input schema plus the Score and PredictedLabel columns; throws when the input columns are missing or
    /// of the wrong type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var options = settings;
        var label = CheckColumns(options, inputSchema);

        // The same output columns ML.NET's multiclass trainers declare.
        var predictedLabelAnnotations = label.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation());
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.ScoreColumnName] = new SchemaShape.Column(options.ScoreColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label)));
        columns[options.PredictedLabelColumnName] = new SchemaShape.Column(options.PredictedLabelColumnName,
            SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(predictedLabelAnnotations));
        if (options.InvalidImageColumnName is { } invalid)
            columns[invalid] = new SchemaShape.Column(invalid, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
        return new SchemaShape(columns.Values);
    }

    /// <summary>Reads and checks the data, trains the network and returns the scoring transformer. The options are
    /// copied when <c>Fit</c> starts: changing them afterwards affects nothing.</summary>
    /// <exception cref="InvalidImageException">An image cannot be decoded (the message names the row).</exception>
    public NFNetPredictionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = settings.Copy();
        Validate(options);
        CheckColumns(options, SchemaShape.Create(input.Schema));
        var token = options.CancellationToken;
        var classCount = ClassCount(options, input, "training");
        var training = options.Training;
        var seed = training.Seed ?? host.Rand.Next();
        using var channel = host.Start(nameof(Fit));

        // Found, downloaded, read and checked before the data is read: a wrong file fails in seconds.
        using var pretrained = options.PretrainedWeights is { } weights
            ? PretrainedStart.Resolve(weights, nameof(Options.PretrainedWeights), options.Architecture, options.PretrainedWeightsDownload,
                note => channel.Info(note), token)
            : null;
        var architecture = pretrained?.Architecture ?? options.Architecture ?? DefaultArchitecture;
        if (pretrained is not null)
        {
            AutomaticSettings.CheckImageSize(training.Preprocessing.ImageSize, architecture);
            TrainableParameters.CheckStages(training.TrainableParts, training.TrainableLastStages, architecture);
        }

        using var rows = ReadRows(options, channel, input, classCount, "training", token);
        using var validationRows = options.ValidationSet is { } validationSet
            ? ReadValidationRows(options, channel, validationSet, classCount, token)
            : null;
        var (train, validation) = validationRows is not null
            ? (rows.Images, validationRows.Images)
            : options.ValidationSetFraction > 0
                ? ImageRows.StratifiedSplit(rows.Images, options.ValidationSetFraction, seed)
                : (rows.Images, rows.Images.Subset([]));
        CheckTrainingRows(train, classCount);

        var labelNames = LabelNames(input.Schema[options.LabelColumnName], classCount);
        var startChoices = new AutomaticChoices();
        if (pretrained is null && options.Architecture is null)
            startChoices.Add($"Architecture = {architecture.Name} (small enough to train from scratch on a CPU)");
        if (pretrained is not null)
        {
            if (options.Architecture is null)
                startChoices.Add($"Architecture = {WeightsArchitecture.NameOf(architecture)} (the architecture of {pretrained.Description})");
            training = training with
            {
                Preprocessing = pretrained.Preprocessing is { } pretrainedPreprocessing
                    ? PretrainedPreprocessingDefaults.Apply(training.Preprocessing, pretrainedPreprocessing, pretrained.Description, startChoices)
                    : training.Preprocessing,
            };
        }
        foreach (var choice in startChoices.Lines)
            channel.Info("Automatic: " + choice);
        var engineOptions = training with
        {
            Seed = seed,
            MetricsCallback = training.MetricsCallback ?? (metrics => channel.Info(metrics.ToString())),
        };
        var resumeFrom = options.ResumeFromCheckpoint && training.CheckpointDirectory is { } directory
            && File.Exists(Path.Combine(directory, TrainingCheckpoint.FileName))
            ? Path.Combine(directory, TrainingCheckpoint.FileName)
            : null;
        // Same seed for the initial weights: a seed reproduces the whole run on CPU.
        TorchSharp.torch.manual_seed(seed);
        var model = new NFNetModel(architecture, classCount);
        try
        {
            if (pretrained is not null)
                channel.Info(pretrained.LoadInto(model, labelNames));
            var engine = new NFNetTrainingEngine(engineOptions, note => channel.Info(note))
            {
                // The weights' published sizes filled in above: the CPU fine-tuning plan may train below them.
                ImageSizesAreAutomatic = options.Training.Preprocessing is { ImageSize: null, EvalImageSize: null },
                DataMemory = options.DataMemory,
            };
            var result = engine.Train(model, train,
                validation.Count > 0 ? validation : null, pretrained: pretrained is not null, resumeFrom: resumeFrom, cancellationToken: token);
            var choices = startChoices.Lines.Concat(result.AutomaticChoices).ToArray();
            var summary = result with { AutomaticChoices = choices, DroppedRows = (int)rows.MissingLabels };
            var parameters = new NFNetModelParameters(host, model, result.Settings!.Preprocessing, labelNames, summary)
            {
                InferencePrecision = options.ScoringPrecision,
                ScoringEngine = options.ScoringEngine,
            };
            return ScoringTransformer(host, parameters, input.Schema, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The transformer that scores with <paramref name="parameters"/>: what <c>Fit</c> returns, and what the
    /// benchmark app measures <c>Transform</c> through.</summary>
    internal static NFNetPredictionTransformer ScoringTransformer(IHostEnvironment env,
        NFNetModelParameters parameters, DataViewSchema inputSchema, Options options)
    {
        var scorer = new MulticlassPredictionTransformer<NFNetModelParameters>(env, parameters, inputSchema,
            options.FeatureColumnName, options.LabelColumnName, options.ScoreColumnName, options.PredictedLabelColumnName);
        return new NFNetPredictionTransformer(env, scorer, options.ScoreColumnName, options.PredictedLabelColumnName,
            options.ScoringBatchSize, options.InvalidImageColumnName);
    }

    private ImageRows ReadValidationRows(Options options, IChannel channel, IDataView validationSet, int classCount,
        CancellationToken token)
    {
        CheckColumns(options, SchemaShape.Create(validationSet.Schema));
        host.CheckParam(ClassCount(options, validationSet, "validation") == classCount, nameof(Options.ValidationSet),
            "The validation set's label must have the same key type (the same classes) as the training data's.");
        return ReadRows(options, channel, validationSet, classCount, "validation", token);
    }

    private ImageRows ReadRows(Options options, IChannel channel, IDataView data, int classCount, string role, CancellationToken token)
    {
        var rows = ImageRows.Read(data, options.LabelColumnName, options.FeatureColumnName, classCount, options.DataMemory, token);
        try
        {
            if (rows.MissingLabels > 0)
                channel.Warning($"Left out {rows.MissingLabels:N0} of the {rows.TotalRows:N0} {role} rows because their label " +
                    $"'{options.LabelColumnName}' is missing (a NaN or empty value, or a value the key mapping does not know).");
            if (rows.TotalRows > 0 && rows.Images.Count == 0)
                throw host.ExceptParam(role == "training" ? "input" : nameof(Options.ValidationSet),
                    $"All {rows.TotalRows:N0} {role} rows have a missing label '{options.LabelColumnName}' (NaN, empty, or unknown " +
                    "to the key mapping); there is nothing to train on.");
            channel.Info($"Automatic: {role} images {rows.StorageChoice}.");
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    private static void Validate(Options options)
    {
        var check = new OptionCheck($"{nameof(NFNetImageClassificationTrainer)}.{nameof(Options)}");
        check.NotNull(options.Training, nameof(Options.Training));
        foreach (var (name, value) in new[]
                 {
                     (nameof(Options.LabelColumnName), options.LabelColumnName),
                     (nameof(Options.FeatureColumnName), options.FeatureColumnName),
                     (nameof(Options.ScoreColumnName), options.ScoreColumnName),
                     (nameof(Options.PredictedLabelColumnName), options.PredictedLabelColumnName),
                 })
            check.That(!string.IsNullOrWhiteSpace(value), name, value, "must name a column");
        check.Fraction(options.ValidationSetFraction, nameof(Options.ValidationSetFraction));
        check.That(options.ScoringBatchSize is >= 1 and <= NFNetPredictionTransformer.MaxBatchSize, nameof(Options.ScoringBatchSize),
            options.ScoringBatchSize, $"must be in [1, {NFNetPredictionTransformer.MaxBatchSize}]");
        check.That(options.InvalidImageColumnName is null || (!string.IsNullOrWhiteSpace(options.InvalidImageColumnName)
                && options.InvalidImageColumnName != options.ScoreColumnName && options.InvalidImageColumnName != options.PredictedLabelColumnName),
            nameof(Options.InvalidImageColumnName), options.InvalidImageColumnName,
            "must be null (bad images fail scoring) or name a new column, not the Score or PredictedLabel column");
        check.Defined(options.ScoringEngine, nameof(Options.ScoringEngine));
        check.Defined(options.ScoringPrecision, nameof(Options.ScoringPrecision));
        var training = options.Training;
        check.That(!options.ResumeFromCheckpoint || (training.CheckpointDirectory is not null && training.Seed is not null),
            nameof(Options.ResumeFromCheckpoint), options.ResumeFromCheckpoint,
            "needs Training.CheckpointDirectory and an explicit Training.Seed");
        check.That(options.PretrainedWeights is null || options.PretrainedWeights.Trim().Length > 0, nameof(Options.PretrainedWeights),
            options.PretrainedWeights, "must name published weights, a file or a folder (or be null for random initial weights)");
        check.That(training.TrainableParts is null or NFNetTrainableParts.All || options.PretrainedWeights is not null,
            "Training.TrainableParts", training.TrainableParts,
            "freezes pretrained parts: set PretrainedWeights too (or leave TrainableParts null to train from scratch)");
        check.That(training.BackboneLearningRateFactor is null || options.PretrainedWeights is not null,
            "Training.BackboneLearningRateFactor", training.BackboneLearningRateFactor,
            "applies to pretrained weights: set PretrainedWeights too (or leave it null to train from scratch)");
        options.PretrainedWeightsDownload?.Validate();
        options.Architecture?.Validate();
        training.Validate();
        // With pretrained weights the architecture is known only once they are found (checked in Fit).
        if (options.PretrainedWeights is null || options.Architecture is not null)
            AutomaticSettings.CheckImageSize(training.Preprocessing.ImageSize, options.Architecture ?? DefaultArchitecture);
        if (options.Architecture is not null)
            TrainableParameters.CheckStages(training.TrainableParts, training.TrainableLastStages, options.Architecture);
    }

    /// <summary>Checks the feature and label columns; returns the label column.</summary>
    private SchemaShape.Column CheckColumns(Options options, SchemaShape schema)
    {
        ImageColumnCheck.Check(host, schema, options.FeatureColumnName, "feature");
        if (!schema.TryFindColumn(options.LabelColumnName, out var label))
            throw host.ExceptSchemaMismatch(nameof(schema), "label", options.LabelColumnName);
        if (!label.IsKey)
            throw host.ExceptSchemaMismatch(nameof(schema), "label", options.LabelColumnName,
                "key (use mlContext.Transforms.Conversion.MapValueToKey on the label first)", label.GetTypeString());
        return label;
    }

    private int ClassCount(Options options, IDataView data, string role)
    {
        var label = data.Schema[options.LabelColumnName];
        var count = label.Type is KeyDataViewType key ? key.Count : 0;
        if (count < 2)
        {
            if (!ImageRows.HasRows(data))
                throw host.ExceptParam(role == "training" ? "input" : nameof(Options.ValidationSet), $"The {role} data has no rows.");
            throw host.ExceptParam(nameof(Options.LabelColumnName),
                $"The label '{label.Name}' has {count} class(es); an image classifier needs at least two.");
        }
        return checked((int)count);
    }

    /// <summary>The label's key values as text (the class names), or null when the key type has none.</summary>
    private static IReadOnlyList<string>? LabelNames(DataViewSchema.Column label, int classCount)
    {
        if (label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues) is not { } column
            || column.Type is not VectorDataViewType { ItemType: var itemType })
            return null;
        var names = new string[classCount];
        if (itemType is TextDataViewType)
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.Annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref values);
            var dense = values.DenseValues().ToArray();
            if (dense.Length != classCount)
                return null;
            for (var i = 0; i < classCount; i++)
                names[i] = dense[i].ToString();
            return names;
        }
        return null;
    }

    private void CheckTrainingRows(StoredImageDataSource train, int classCount)
    {
        if (train.Count == 0)
            throw host.ExceptParam("input", "The training data has no rows with a label and an image.");
        var present = Enumerable.Range(0, train.Count).Select(train.Label).Distinct().Count();
        if (present < 2)
            throw host.ExceptParam("input",
                $"The training data has images of only one class (of {classCount}); an image classifier needs at least two.");
    }
}

using Microsoft.ML.Data;
using Microsoft.ML.NFNet.MLNet;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Trains an NFNet image classifier on encoded image bytes (a <c>byte[]</c> / variable-length byte vector column, e.g.
/// from <c>File.ReadAllBytes</c> or <c>mlContext.Transforms.LoadRawImageBytes</c>) and a key label (from
/// <c>MapValueToKey</c>). Create it with <c>mlContext.MulticlassClassification.Trainers.NFNet(...)</c>.
/// </summary>
/// <remarks>
/// <para>The result is ML.NET's <see cref="MulticlassPredictionTransformer{TModel}"/>: <c>Score</c> holds one probability
/// per class (slot names = the label's key values), <c>PredictedLabel</c> is a key, so <c>MapKeyToValue</c>,
/// <c>Evaluate</c>, <c>CrossValidate</c>, <c>PredictionEngine</c> and <c>mlContext.Model.Save/Load</c> work as with
/// ML.NET's own trainers. The model holds native memory: see <see cref="NFNetModelParameters"/> for its lifetime.</para>
/// <para>Every row is read into memory and every image decoded once before training, so a bad row fails fast with its
/// row number. Training starts from random weights (starting from pretrained weights is planned).</para>
/// </remarks>
public sealed class NFNetImageClassificationTrainer
    : ITrainerEstimator<MulticlassPredictionTransformer<NFNetModelParameters>, NFNetModelParameters>
{
    /// <summary>Settings of <see cref="NFNetImageClassificationTrainer"/>.</summary>
    public sealed class Options
    {
        /// <summary>The label column: a key (use <c>MapValueToKey</c> on a text or number label).</summary>
        public string LabelColumnName = DefaultColumnNames.Label;

        /// <summary>The image column: encoded image bytes (JPEG, PNG, BMP, GIF, WEBP) as a byte vector.</summary>
        public string FeatureColumnName = DefaultColumnNames.Features;

        /// <summary>The output column of class probabilities.</summary>
        public string ScoreColumnName = DefaultColumnNames.Score;

        /// <summary>The output column of the predicted class (a key of the label's type).</summary>
        public string PredictedLabelColumnName = DefaultColumnNames.PredictedLabel;

        /// <summary>
        /// The network. Default <c>nfnet_tiny</c> (under 1 M parameters): it trains from scratch on a few thousand images in
        /// minutes on a CPU. The published variants (<c>dm_nfnet_f0</c> … <c>f6</c>, <c>nfnet_l0</c>, <c>eca_nfnet_l*</c>)
        /// are 35–440 M parameters and are meant for GPUs or pretrained weights.
        /// </summary>
        public NFNetConfig Architecture = NFNetConfig.Variant("nfnet_tiny");

        /// <summary>Side of the square network input in pixels, for training and scoring (default 128). At least
        /// <see cref="NFNetConfig.MinimumImageSize"/> of <see cref="Architecture"/>.</summary>
        public int ImageSize = 128;

        /// <summary>Passes over the training data (default 20).</summary>
        public int Epochs = 20;

        /// <summary>Images per optimizer step (default 32).</summary>
        public int BatchSize = 32;

        /// <summary>
        /// Peak learning rate of SGD with Nesterov momentum, reached after <see cref="WarmupEpochs"/> and followed by
        /// cosine decay. Default 0.1: on a few thousand images it trains much faster than DeepMind's batch scaling and AGC
        /// keeps it stable (README, "Training options"). Null uses the recipe's 0.1 · <see cref="BatchSize"/> / 256,
        /// the better choice for large datasets.
        /// </summary>
        public double? LearningRate = 0.1;

        /// <summary>Epochs of linear learning-rate warm-up from 0 (default 1; DeepMind's ImageNet recipe uses 5 of 360).</summary>
        public double WarmupEpochs = 1;

        /// <summary>Weight decay of conv and linear weights (default 2·10⁻⁵).</summary>
        public double WeightDecay = 2e-5;

        /// <summary>Adaptive gradient clipping λ (default 0.01); 0 turns it off.</summary>
        public double ClippingFactor = 0.01;

        /// <summary>Label smoothing of the loss, in [0, 1) (default 0.1).</summary>
        public double LabelSmoothing = 0.1;

        /// <summary>
        /// Decoding, augmentation (random resized crop, flips, MixUp, CutMix) and normalisation. Its
        /// <see cref="ImagePreprocessingOptions.ImageSize"/> and <see cref="ImagePreprocessingOptions.MaxImagePixels"/> are
        /// replaced by <see cref="ImageSize"/> and <see cref="MaxImagePixels"/>. The scoring settings (resize mode, crop
        /// fraction, normalisation) are saved with the model and used for every prediction.
        /// </summary>
        public ImagePreprocessingOptions Augmentation = new();

        /// <summary>Labelled images to validate on after each epoch (same columns as the training data). Null (default)
        /// splits <see cref="ValidationSetFraction"/> off the training data.</summary>
        public IDataView? ValidationSet;

        /// <summary>Fraction of each class held out for validation when <see cref="ValidationSet"/> is null, in [0, 1)
        /// (default 0.1); 0 trains on everything without validation.</summary>
        public double ValidationSetFraction = 0.1;

        /// <summary>Stop when validation stops improving and keep the best epoch's weights (default: patience 5 epochs on
        /// the validation loss). Used only when there is validation data; null trains all epochs.</summary>
        public EarlyStoppingOptions? EarlyStopping = new();

        /// <summary>Receives progress reports on the training thread; null logs them to the MLContext log.</summary>
        public Action<TrainingMetrics>? MetricsCallback;

        /// <summary>Where to train (default: a CUDA GPU when the CUDA backend is referenced and one is present, else CPU).</summary>
        public NFNetDevice Device = NFNetDevice.Auto;

        /// <summary>Seed of the validation split, initialisation, data order and augmentation; null (default) takes one from
        /// the <c>MLContext</c>'s seed, so <c>new MLContext(seed: 1)</c> reproduces a CPU training run.</summary>
        public int? Seed;

        /// <summary>Folder for the end-of-epoch checkpoint; null (default) writes none.</summary>
        public string? CheckpointDirectory;

        /// <summary>Continue from the last checkpoint in <see cref="CheckpointDirectory"/> when there is one (after a crash or
        /// a cancellation), instead of starting afresh (default false). Needs the same data, options and an explicit
        /// <see cref="Seed"/>; a checkpoint of another run is rejected with an error that says so.</summary>
        public bool ResumeFromCheckpoint;

        /// <summary>Leave out rows whose image cannot be decoded (logged and counted) instead of failing with an error that
        /// names the row (default false).</summary>
        public bool SkipInvalidImages;

        /// <summary>Largest accepted width × height of an image, checked before decoding (default 64 megapixels).</summary>
        public long MaxImagePixels = ImagePreprocessingOptions.DefaultMaxImagePixels;

        /// <summary>Cancels training (<see cref="OperationCanceledException"/>).</summary>
        public CancellationToken CancellationToken;
    }

    private readonly IHost _host;
    private readonly Options _options;
    private readonly ImagePreprocessingOptions _preprocessing;

    internal NFNetImageClassificationTrainer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        _host = env.Register(nameof(NFNetImageClassificationTrainer));
        _options = options;
        _preprocessing = Validate(options);
    }

    /// <summary>No normalisation or caching needed: images are read into memory once.</summary>
    public TrainerInfo Info { get; } = new(normalization: false, caching: false);

    /// <summary>The input schema plus the Score and PredictedLabel columns; throws when the input columns are missing or
    /// of the wrong type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var label = CheckColumns(inputSchema);

        // The same output columns ML.NET's multiclass trainers declare.
        var predictedLabelAnnotations = label.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation());
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[_options.ScoreColumnName] = new SchemaShape.Column(_options.ScoreColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label)));
        columns[_options.PredictedLabelColumnName] = new SchemaShape.Column(_options.PredictedLabelColumnName,
            SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(predictedLabelAnnotations));
        return new SchemaShape(columns.Values);
    }

    /// <summary>Reads and checks the data, trains the network and returns the scoring transformer.</summary>
    /// <exception cref="InvalidImageException">An image cannot be decoded (the message names the row).</exception>
    public MulticlassPredictionTransformer<NFNetModelParameters> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckColumns(SchemaShape.Create(input.Schema));
        var classCount = ClassCount(input.Schema[_options.LabelColumnName]);
        var seed = _options.Seed ?? _host.Rand.Next();
        using var channel = _host.Start(nameof(Fit));

        var all = ImageRows.Read(input, _options.LabelColumnName, _options.FeatureColumnName, classCount,
            _options.MaxImagePixels, _options.SkipInvalidImages, "training", out var skipped);
        InMemoryImageDataSource train = all, validation;
        if (_options.ValidationSet is { } validationSet)
        {
            CheckColumns(SchemaShape.Create(validationSet.Schema));
            _host.CheckParam(ClassCount(validationSet.Schema[_options.LabelColumnName]) == classCount, nameof(Options.ValidationSet),
                "The validation set's label must have the same key type (the same classes) as the training data's.");
            validation = ImageRows.Read(validationSet, _options.LabelColumnName, _options.FeatureColumnName, classCount,
                _options.MaxImagePixels, _options.SkipInvalidImages, "validation", out var skippedValidation);
            skipped += skippedValidation;
        }
        else
        {
            (train, validation) = _options.ValidationSetFraction > 0
                ? ImageRows.StratifiedSplit(all, _options.ValidationSetFraction, seed)
                : (all, all.Subset([]));
        }
        if (skipped > 0)
            channel.Warning("Left out {0} rows whose image cannot be decoded (SkipInvalidImages = true).", skipped);
        CheckTrainingRows(train, classCount);

        var model = Train(channel, train, validation.Count > 0 ? validation : null, classCount, seed);
        var parameters = new NFNetModelParameters(_host, model, _preprocessing);
        return new MulticlassPredictionTransformer<NFNetModelParameters>(_host, parameters, input.Schema,
            _options.FeatureColumnName, _options.LabelColumnName, _options.ScoreColumnName, _options.PredictedLabelColumnName);
    }

    private NFNetModel Train(IChannel channel, InMemoryImageDataSource train, InMemoryImageDataSource? validation, int classCount, int seed)
    {
        var engine = new NFNetTrainingEngine(new NFNetTrainingOptions
        {
            Epochs = _options.Epochs,
            BatchSize = _options.BatchSize,
            Preprocessing = _preprocessing,
            Optimizer = new NFNetOptimizerOptions
            {
                LearningRate = _options.LearningRate,
                WarmupEpochs = _options.WarmupEpochs,
                WeightDecay = _options.WeightDecay,
                ClippingFactor = _options.ClippingFactor,
            },
            LabelSmoothing = _options.LabelSmoothing,
            EarlyStopping = validation != null ? _options.EarlyStopping : null,
            MetricsCallback = _options.MetricsCallback ?? (metrics => channel.Info(metrics.ToString())),
            Device = _options.Device,
            Seed = seed,
            CheckpointDirectory = _options.CheckpointDirectory,
            ResumeFrom = _options.ResumeFromCheckpoint && _options.CheckpointDirectory is { } directory
                && File.Exists(Path.Combine(directory, TrainingCheckpoint.FileName))
                ? Path.Combine(directory, TrainingCheckpoint.FileName)
                : null,
            SkipInvalidImages = _options.SkipInvalidImages,
        });
        // Same seed for the initial weights: a seed reproduces the whole run on CPU.
        TorchSharp.torch.manual_seed(seed);
        var model = new NFNetModel(_options.Architecture, classCount);
        try
        {
            engine.Train(model, train, validation, _options.CancellationToken);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static ImagePreprocessingOptions Validate(Options options)
    {
        ArgumentNullException.ThrowIfNull(options.Architecture, nameof(Options.Architecture));
        ArgumentNullException.ThrowIfNull(options.Augmentation, nameof(Options.Augmentation));
        options.Architecture.Validate();
        Require(options.Epochs >= 1, nameof(Options.Epochs), options.Epochs, "must be at least 1");
        Require(options.BatchSize >= 1, nameof(Options.BatchSize), options.BatchSize, "must be at least 1");
        Require(options.ImageSize >= options.Architecture.MinimumImageSize, nameof(Options.ImageSize), options.ImageSize,
            $"must be at least {options.Architecture.MinimumImageSize} pixels for {options.Architecture.Name}");
        Require(options.LearningRate is not { } lr || (lr > 0 && double.IsFinite(lr)), nameof(Options.LearningRate),
            options.LearningRate!, "must be a positive number (or null for the recipe's batch-scaled rate)");
        Require(options.WarmupEpochs >= 0 && double.IsFinite(options.WarmupEpochs), nameof(Options.WarmupEpochs), options.WarmupEpochs, "must be ≥ 0");
        Require(options.WeightDecay >= 0 && double.IsFinite(options.WeightDecay), nameof(Options.WeightDecay), options.WeightDecay,
            "must be zero or positive");
        Require(options.ClippingFactor >= 0 && double.IsFinite(options.ClippingFactor), nameof(Options.ClippingFactor),
            options.ClippingFactor, "must be zero (off) or positive");
        Require(options.LabelSmoothing is >= 0 and < 1, nameof(Options.LabelSmoothing), options.LabelSmoothing, "must be in [0, 1)");
        Require(options.ValidationSetFraction is >= 0 and < 1, nameof(Options.ValidationSetFraction),
            options.ValidationSetFraction, "must be in [0, 1)");
        Require(!options.ResumeFromCheckpoint || (options.CheckpointDirectory is not null && options.Seed is not null),
            nameof(Options.ResumeFromCheckpoint), options.ResumeFromCheckpoint, "needs a CheckpointDirectory and an explicit Seed");
        Require(options.MaxImagePixels >= 1, nameof(Options.MaxImagePixels), options.MaxImagePixels, "must be at least 1");
        Require(Enum.IsDefined(options.Device), nameof(Options.Device), options.Device, "is not a known device");
        options.EarlyStopping?.Validate();
        var preprocessing = options.Augmentation with { ImageSize = options.ImageSize, MaxImagePixels = options.MaxImagePixels };
        preprocessing.Validate();
        return preprocessing;
    }

    private static void Require(bool condition, string name, object value, string rule)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(NFNetImageClassificationTrainer)}.{nameof(Options)}.{name} {rule}.");
    }

    /// <summary>Checks the feature and label columns; returns the label column.</summary>
    private SchemaShape.Column CheckColumns(SchemaShape schema)
    {
        if (!schema.TryFindColumn(_options.FeatureColumnName, out var feature))
            throw _host.ExceptSchemaMismatch(nameof(schema), "feature", _options.FeatureColumnName);
        if (feature.Kind == SchemaShape.Column.VectorKind.Scalar || feature.ItemType != NumberDataViewType.Byte)
        {
            // MulticlassPredictionTransformer persists its training schema with BinarySaver, which drops MLImage
            // columns; encoded bytes are the type that survives Save/Load.
            var hint = feature.ItemType is ImageDataViewType
                ? "Load the encoded file bytes instead of MLImage, e.g. with mlContext.Transforms.LoadRawImageBytes."
                : feature.ItemType is TextDataViewType
                    ? "The column holds text (a path?): load the image files' bytes, e.g. with mlContext.Transforms.LoadRawImageBytes or File.ReadAllBytes."
                    : "Pass the image files' bytes (byte[]), e.g. from mlContext.Transforms.LoadRawImageBytes or File.ReadAllBytes.";
            throw _host.ExceptSchemaMismatch(nameof(schema), "feature", _options.FeatureColumnName,
                "vector of Byte (encoded image bytes). " + hint, feature.GetTypeString());
        }
        if (!schema.TryFindColumn(_options.LabelColumnName, out var label))
            throw _host.ExceptSchemaMismatch(nameof(schema), "label", _options.LabelColumnName);
        if (!label.IsKey)
            throw _host.ExceptSchemaMismatch(nameof(schema), "label", _options.LabelColumnName,
                "key (use mlContext.Transforms.Conversion.MapValueToKey on the label first)", label.GetTypeString());
        return label;
    }

    private int ClassCount(DataViewSchema.Column label)
    {
        var count = label.Type is KeyDataViewType key ? key.Count : 0;
        if (count < 2)
            throw _host.ExceptParam(nameof(Options.LabelColumnName),
                $"The label '{label.Name}' has {count} class(es); an image classifier needs at least two.");
        return checked((int)count);
    }

    private void CheckTrainingRows(InMemoryImageDataSource train, int classCount)
    {
        if (train.Count == 0)
            throw _host.ExceptParam("input", "The training data has no rows with a label and an image.");
        var present = Enumerable.Range(0, train.Count).Select(i => train[i].Label).Distinct().Count();
        if (present < 2)
            throw _host.ExceptParam("input",
                $"The training data has images of only one class (of {classCount}); an image classifier needs at least two.");
    }
}

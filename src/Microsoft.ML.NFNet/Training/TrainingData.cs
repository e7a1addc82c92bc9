
namespace Microsoft.ML.NFNet;

/// <summary>The training and validation sets after their one scan: which images are used, what the data looks like.</summary>
internal sealed class TrainingData
{
    private TrainingData(ImageDataSource train, DataSourceScan trainingScan, ImageDataSource? validation, DataSourceScan? validationScan,
        bool skipInvalid)
    {
        TrainingScan = trainingScan;
        LeftOut = new LeftOutImages(skipInvalid, trainingScan.Invalid, validationScan?.Invalid ?? new HashSet<int>());
        ValidationScan = validationScan;
        UsableTraining = Usable(train, trainingScan);
        UsableValidation = validation is null ? [] : Usable(validation, validationScan!);
    }

    public DataSourceScan TrainingScan { get; }

    public DataSourceScan? ValidationScan { get; }

    public DatasetProfile Profile => TrainingScan.Profile;

    /// <summary>Indices of the training images that are trained on, in data order.</summary>
    public int[] UsableTraining { get; }

    /// <summary>Indices of the validation images that are evaluated, in data order.</summary>
    public int[] UsableValidation { get; }

    public bool HasValidation => UsableValidation.Length > 0;

    /// <summary>The images left out: by the check before training, and those that fail to decode while training.</summary>
    public LeftOutImages LeftOut { get; }

    public int SkippedImages => LeftOut.Count;

    /// <exception cref="ArgumentException">No training image can be decoded.</exception>
    public static TrainingData Scan(ImageDataSource train, ImageDataSource? validation, NFNetTrainingOptions options,
        CancellationToken cancellationToken)
    {
        var limit = ImageSizeLimit.Of(options.Preprocessing);
        var trainingScan = DataSourceScan.Run(train, "training", limit, options.SkipInvalidImages, cancellationToken);
        if (trainingScan.Profile.ImageCount == 0)
            throw new ArgumentException(
                $"None of the {train.Count} training images can be decoded (all were left out with SkipInvalidImages = true).",
                nameof(train));
        var validationScan = validation is null || validation.Count == 0
            ? null
            : DataSourceScan.Run(validation, "validation", limit, options.SkipInvalidImages, cancellationToken);
        return new TrainingData(train, trainingScan, validation, validationScan, options.SkipInvalidImages);
    }

    /// <summary>Log lines: what the data looks like and what was left out.</summary>
    public IEnumerable<string> Notes()
    {
        yield return $"Training data: {Profile}.";
        if (TrainingScan.Invalid.Count > 0)
            yield return $"Left out {TrainingScan.Invalid.Count} training image(s) that cannot be decoded (SkipInvalidImages = true).";
        if (ValidationScan is { Invalid.Count: > 0 } scan)
            yield return $"Left out {scan.Invalid.Count} validation image(s) that cannot be decoded (SkipInvalidImages = true).";
    }

    private static int[] Usable(ImageDataSource data, DataSourceScan scan) =>
        Enumerable.Range(0, data.Count).Where(i => !scan.Invalid.Contains(i)).ToArray();
}

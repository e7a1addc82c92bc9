using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>The resumable state of a training run at an epoch boundary.</summary>
internal sealed record TrainingProgress
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required int Seed { get; init; }
    public required int TrainCount { get; init; }
    public required int ClassCount { get; init; }
    public required string Architecture { get; init; }
    public required int EpochsCompleted { get; init; }
    public required List<TrainingMetrics> History { get; init; }
    public int BestEpoch { get; init; }
    public double? BestMetric { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public List<int> SkippedImages { get; init; } = [];

    /// <summary>What trained (<c>FineTuningSettings.Describe</c>); null in checkpoints from before fine-tuning existed,
    /// which trained everything.</summary>
    public string? TrainableParts { get; init; }

    /// <summary>The optimizer steps the learning-rate schedule was planned for when saved (a time budget re-plans it);
    /// null in checkpoints from before time budgets existed, whose schedule was the one the options give.</summary>
    public long? PlannedSteps { get; init; }

    public const string AllParts = "All";
}

/// <summary>
/// A checkpoint file (<c>.nfckpt</c>, a zip): model weights, optimizer state (momentum, step, EMA), the weights of the
/// best epoch so far, <see cref="TrainingProgress"/>, and the SHA-256 of each (<see cref="CheckpointChecksums"/>),
/// verified before anything is restored. Written to a temporary file, flushed to disk and renamed over the previous
/// checkpoint, so a crash mid-write never destroys it; leftovers of such a crash are removed by the next run.
/// </summary>
internal static partial class TrainingCheckpoint
{
    public const string FileName = "last.nfckpt";
    private const string ModelEntry = "model.safetensors";
    private const string BestEntry = "best.safetensors";
    private const string OptimizerEntry = "optimizer.bin";
    private const string ProgressEntry = "progress.json";

    public static void Save(string path, NFNetModel model, NFNetOptimizer optimizer, Dictionary<string, TorchSharp.torch.Tensor>? best,
        TrainingProgress progress)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var weights = temp + ".weights";
        var bestWeights = temp + ".best";
        try
        {
            ModelWeights.Save(model, weights);
            if (best is not null)
                Safetensors.Save(bestWeights, best);
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
                {
                    static void CopyFile(string source, Stream target)
                    {
                        using var input = File.OpenRead(source);
                        input.CopyTo(target);
                    }
                    // Weights barely compress; storing them keeps checkpointing fast.
                    var hashes = new Dictionary<string, string>
                    {
                        [ModelEntry] = CheckpointChecksums.WriteEntry(zip, ModelEntry, CompressionLevel.NoCompression, s => CopyFile(weights, s)),
                        [OptimizerEntry] = CheckpointChecksums.WriteEntry(zip, OptimizerEntry, CompressionLevel.NoCompression, optimizer.Save),
                        [ProgressEntry] = CheckpointChecksums.WriteEntry(zip, ProgressEntry, CompressionLevel.Optimal,
                            s => JsonSerializer.Serialize(s, progress with { PlannedSteps = optimizer.Schedule.TotalSteps })),
                    };
                    if (best is not null)
                        hashes[BestEntry] = CheckpointChecksums.WriteEntry(zip, BestEntry, CompressionLevel.NoCompression, s => CopyFile(bestWeights, s));
                    CheckpointChecksums.Record(zip, hashes);
                }
                // On disk before the rename, so that a crash cannot leave a renamed but incomplete checkpoint.
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
            File.Delete(weights);
            File.Delete(bestWeights);
        }
    }

    /// <summary>
    /// Creates the folder if needed and proves it writable (a probe file is written and deleted), and removes temporary
    /// files that an interrupted checkpoint write of an earlier run left behind.
    /// </summary>
    /// <exception cref="ArgumentException">The folder cannot be created or written; the message names the option.</exception>
    public static void PrepareDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".nfnet-probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            foreach (var stale in Directory.EnumerateFiles(directory, $"*{FileName}.*.tmp*").Where(IsLeftover))
                File.Delete(stale);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ArgumentException(
                $"NFNetTrainingOptions.CheckpointDirectory '{directory}' cannot be used: {e.Message} Choose a folder that can be " +
                "created and written, or set it to null for no checkpoints.", nameof(NFNetTrainingOptions.CheckpointDirectory), e);
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a temporary file of an interrupted <see cref="Save"/>: the zip
    /// (<c>.last.nfckpt.{guid}.tmp</c>), its weights (<c>.tmp.weights</c>, <c>.tmp.best</c>), or the temporary file
    /// of the atomic weights write (<c>..last.nfckpt.{guid}.tmp.weights.{guid}.tmp</c>). Nothing else matches.
    /// </summary>
    internal static bool IsLeftover(string path) => LeftoverName().IsMatch(Path.GetFileName(path));

    [GeneratedRegex(@"^\.\.?last\.nfckpt\.[0-9a-f]{32}\.tmp(\.(weights|best)(\.[0-9a-f]{32}\.tmp)?)?$")]
    private static partial Regex LeftoverName();

    /// <summary>Restores model and optimizer state; returns the progress and the best epoch's weights (if saved).</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this run (architecture, data or format
    /// differ), or it is corrupt or truncated; the message names the file.</exception>
    public static (TrainingProgress Progress, Dictionary<string, TorchSharp.torch.Tensor>? Best) Load(
        string path, NFNetModel model, NFNetOptimizer optimizer, int seed, int trainCount, string trainableParts)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var temp = Path.Combine(Path.GetTempPath(), $"nfnet-resume-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            using var zip = Corrupt(path, () => ZipFile.OpenRead(path));
            Corrupt(path, () =>
            {
                CheckpointChecksums.Verify(zip);
                return true;
            });
            var progress = Corrupt(path, () => Read<TrainingProgress>(zip, path));
            if (progress.Format != TrainingProgress.CurrentFormat)
                throw new InvalidDataException($"Checkpoint '{path}' has format {progress.Format}; this version reads format {TrainingProgress.CurrentFormat}.");
            if (progress.Architecture != model.Config.ToJson() || progress.ClassCount != model.NumClasses
                || progress.TrainCount != trainCount || progress.Seed != seed)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' belongs to another run (architecture, class count, training set size or seed " +
                    "differ); resume with the same model, data and options, or start afresh.");
            if ((progress.TrainableParts ?? TrainingProgress.AllParts) != trainableParts)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' belongs to another run: it trained {progress.TrainableParts ?? TrainingProgress.AllParts}, " +
                    $"this run trains {trainableParts} (NFNetTrainingOptions.TrainableParts); resume with the same options, or start afresh.");
            return Corrupt(path, () =>
            {
                Extract(zip, ModelEntry, path, Path.Combine(temp, ModelEntry));
                using (var source = SafetensorsSource.OpenFile(Path.Combine(temp, ModelEntry)))
                    ModelWeights.Load(model, source);
                using (var stream = Entry(zip, OptimizerEntry, path).Open())
                {
                    using var buffered = new MemoryStream();
                    stream.CopyTo(buffered);
                    buffered.Position = 0;
                    optimizer.Load(buffered);
                }
                // A run shortened by its time budget resumes on the schedule it was following, not the original one.
                if (progress.PlannedSteps is { } planned && planned != optimizer.Schedule.TotalSteps)
                    optimizer.PlanTotalSteps(planned);
                Dictionary<string, TorchSharp.torch.Tensor>? best = null;
                if (zip.GetEntry(BestEntry) is not null)
                {
                    Extract(zip, BestEntry, path, Path.Combine(temp, BestEntry));
                    best = Safetensors.Load(Path.Combine(temp, BestEntry));
                }
                return (progress, best);
            });
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    // Everything that cannot be parsed becomes one error that names the file.
    private static T Corrupt<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or InvalidOperationException
                                      or ArgumentException or OverflowException or FormatException)
        {
            throw new InvalidDataException(
                $"The checkpoint file '{path}' is corrupt or truncated ({e.Message}). Delete it to start afresh.", e);
        }
    }

    private static T Read<T>(ZipArchive zip, string path)
    {
        using var stream = Entry(zip, ProgressEntry, path).Open();
        return JsonSerializer.Deserialize<T>(stream) ?? throw new InvalidDataException($"Checkpoint '{path}' has an empty {ProgressEntry}.");
    }

    private static void Extract(ZipArchive zip, string name, string path, string destination) =>
        Entry(zip, name, path).ExtractToFile(destination);

    private static ZipArchiveEntry Entry(ZipArchive zip, string name, string path) =>
        zip.GetEntry(name) ?? throw new InvalidDataException($"Checkpoint '{path}' lacks '{name}'.");
}

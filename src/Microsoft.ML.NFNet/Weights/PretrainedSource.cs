
namespace Microsoft.ML.NFNet;

/// <summary>What a <c>PretrainedWeights</c> setting names, once found on disk.</summary>
internal enum PretrainedSourceKind
{
    /// <summary>A published weights file from the catalog (downloaded or cached).</summary>
    Catalog,

    /// <summary>A safetensors file with timm's names (timm's, <c>SaveWeights</c>', or <c>ExportTimm</c>'s).</summary>
    Safetensors,

    /// <summary>A zip file: an ML.NET model, read by the ML.NET layer.</summary>
    ModelZip,
}

/// <summary>
/// A <c>PretrainedWeights</c> setting resolved to a file, with what is known about the weights besides their tensors:
/// the architecture, the class names and the preprocessing, from the catalog or from a timm <c>config.json</c> next to
/// the file (an <c>ExportTimm</c> folder, a hub snapshot).
/// </summary>
internal sealed record PretrainedSource
{
    /// <summary>How messages name the weights, e.g. <c>the published weights 'eca_nfnet_l0.ra2_in1k'</c>.</summary>
    public required string Description { get; init; }

    public required PretrainedSourceKind Kind { get; init; }

    /// <summary>The safetensors file, or the model zip.</summary>
    public required string Path { get; init; }

    /// <summary>The architecture stated by the catalog or the config file; null when only the tensors tell.</summary>
    public NFNetConfig? Architecture { get; init; }

    /// <summary>The pretrained head's class names, when known.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>How the weights were trained and evaluated; null when unknown (ImageNet defaults).</summary>
    public PretrainedPreprocessing? Preprocessing { get; init; }

    /// <summary>The config file read, if any.</summary>
    public string? ConfigPath { get; init; }
}

/// <summary>Finds what a <c>PretrainedWeights</c> setting names: a file or folder when one exists, else a catalog name.</summary>
internal static class PretrainedSources
{
    private static readonly string[] PathExtensions = [".safetensors", ".zip", ".pth", ".pt", ".bin", ".ckpt", ".nfckpt"];

    /// <summary>What <c>PretrainedWeights</c> accepts, for error messages.</summary>
    public const string Accepted = "a published weights name (NFNetPretrained.All, e.g. eca_nfnet_l0.ra2_in1k), a .safetensors " +
        "file with timm's tensor names, a folder holding model.safetensors (and timm's config.json), or a model zip saved " +
        "from a pipeline with Trainers.NFNet or NFNetFeaturizeImage";

    /// <exception cref="FileNotFoundException">A path that does not exist.</exception>
    /// <exception cref="ArgumentException">Neither a file, a folder nor a published name (the message lists the names).</exception>
    /// <exception cref="HubDownloadException">A published file that could not be downloaded (offline with an empty cache…).</exception>
    /// <exception cref="InvalidDataException">A config.json next to the weights that cannot be read.</exception>
    /// <param name="value">The setting.</param>
    /// <param name="option">The option that holds it, named in errors (e.g. <c>PretrainedWeights</c>).</param>
    /// <param name="download">How a published file is downloaded; null: the <c>HF_*</c> environment.</param>
    /// <param name="log">Receives download notes and progress.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    public static PretrainedSource Resolve(string value, string option, HubDownloadOptions? download, Action<string>? log,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{option} is empty. {option} takes {Accepted}.", option);
        if (Directory.Exists(value))
            return Folder(value, option);
        if (File.Exists(value))
            return IsZip(value)
                ? new PretrainedSource { Description = $"the model '{value}'", Kind = PretrainedSourceKind.ModelZip, Path = value }
                : WithConfig(new PretrainedSource { Description = $"'{value}'", Kind = PretrainedSourceKind.Safetensors, Path = value },
                    System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(value))!, TimmHubConfig.FileName));
        if (LooksLikePath(value))
            throw new FileNotFoundException(
                $"{option} '{value}': '{System.IO.Path.GetFullPath(value)}' does not exist (no such file or folder). {option} takes {Accepted}.", value);

        // As timm.create_model(architecture, pretrained=True): an architecture name means its first (default) weights.
        var name = value.Trim();
        var weights = NFNetPretrained.All.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? NFNetPretrained.All.FirstOrDefault(w => string.Equals(w.ArchitectureName, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"{option} '{value}' is neither a file or folder nor the name of published weights. " +
                $"Known names: {string.Join(", ", NFNetPretrained.All.Select(w => w.Name))}. {option} takes {Accepted}.", option);
        var options = (download ?? new HubDownloadOptions()) with { Progress = new LoggingProgress(weights.Name, log, download?.Progress) };
        using var downloader = new HubFileDownloader(options);
        if (downloader.TryGetCached(weights.HubRepository, weights.FileName) is null && !downloader.Offline)
            log?.Invoke($"Downloading the pretrained weights {weights.Name} from {downloader.GetUrl(weights.HubRepository, weights.FileName)} " +
                $"into {downloader.CacheDirectory} (once; later runs and Python's timm reuse the file).");
        var path = NFNetPretrained.Download(weights.Name, options, cancellationToken);
        return new PretrainedSource
        {
            Description = $"the published weights '{weights.Name}'",
            Kind = PretrainedSourceKind.Catalog,
            Path = path,
            Architecture = weights.Architecture,
            Preprocessing = PretrainedPreprocessing.Of(weights),
        };
    }

    private static PretrainedSource Folder(string folder, string option)
    {
        var weights = System.IO.Path.Combine(folder, "model.safetensors");
        if (!File.Exists(weights))
        {
            var present = Directory.EnumerateFileSystemEntries(folder).Select(System.IO.Path.GetFileName).Take(8).ToArray();
            throw new FileNotFoundException(
                $"{option} '{folder}' is a folder without model.safetensors (it holds: {(present.Length == 0 ? "nothing" : string.Join(", ", present))}). " +
                $"{option} takes {Accepted}.", weights);
        }
        return WithConfig(new PretrainedSource { Description = $"'{folder}'", Kind = PretrainedSourceKind.Safetensors, Path = weights },
            System.IO.Path.Combine(folder, TimmHubConfig.FileName));
    }

    private static PretrainedSource WithConfig(PretrainedSource source, string configPath)
    {
        if (!File.Exists(configPath))
            return source;
        var config = TimmHubConfig.Read(configPath);
        return source with
        {
            Architecture = config.Architecture,
            Labels = config.Labels,
            Preprocessing = config.Preprocessing,
            ConfigPath = configPath,
        };
    }

    private static bool IsZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(magic) == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    }

    private static bool LooksLikePath(string value) =>
        value.Contains('/') || value.Contains('\\') || PathExtensions.Any(e => value.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Logs a download's progress in steps of 10 % and forwards it to the caller's own progress.</summary>
    private sealed class LoggingProgress(string name, Action<string>? log, IProgress<HubDownloadProgress>? inner) : IProgress<HubDownloadProgress>
    {
        private int lastTenth = -1;

        public void Report(HubDownloadProgress value)
        {
            inner?.Report(value);
            var tenth = (int)(value.Fraction * 10);
            if (tenth <= lastTenth)
                return;
            lastTenth = tenth;
            log?.Invoke($"Downloading {name}: {value.BytesDownloaded / 1e6:0.#} of {value.TotalBytes / 1e6:0.#} MB ({tenth * 10} %).");
        }
    }
}

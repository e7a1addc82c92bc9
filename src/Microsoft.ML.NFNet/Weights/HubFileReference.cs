using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>One file of one model repository at one revision, validated, with its hub URL and cache folder name.</summary>
internal sealed partial record HubFileReference(string Repository, string FileName, string Revision, Uri Url)
{
    private const string SafePathRule =
        "use '/' between names; no empty, '.' or '..' name, no '\\', ':', '<', '>', '\"', '|', '?', '*' or control character, " +
        "no name ending in '.' or a space, no device name such as CON or NUL.";

    private static readonly char[] UnsafeCharacters = ['\\', ':', '<', '>', '"', '|', '?', '*'];

    /// <summary>The repository's folder in the cache: <c>models--{owner}--{name}</c> (huggingface_hub's <c>repo_folder_name</c>).</summary>
    public string FolderName => "models--" + Repository.Replace("/", "--");

    /// <summary>The file's path below a snapshot folder, with this platform's separators.</summary>
    public string RelativePath => Path.Combine(FileName.Split('/'));

    /// <summary>The URL for messages, logs and exceptions (<see cref="HubUrlRedaction"/>: no user info of the endpoint).</summary>
    public string DisplayUrl => HubUrlRedaction.ForMessage(Url);

    public string Describe() => $"'{FileName}' of {Repository} at revision '{Revision}'";

    public static HubFileReference Create(Uri endpoint, string repository, string fileName, string revision)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentException.ThrowIfNullOrWhiteSpace(revision);
        if (!RepositoryPattern().IsMatch(repository) || repository.Contains("--") || repository.Contains(".."))
            throw new ArgumentException(
                $"'{repository}' is not a hub repository id: expected 'owner/name' made of letters, digits, '-', '_' and '.', " +
                "without '--' or '..'.", nameof(repository));
        var segments = fileName.Split('/');
        if (Path.IsPathRooted(fileName) || !segments.All(IsSafeName))
            throw new ArgumentException($"'{fileName}' is not a relative file path inside a repository: {SafePathRule}", nameof(fileName));
        // The revision names a file under refs/, so it obeys the same rule, on every OS (a Windows path in it would
        // otherwise leave the cache there only).
        if (Path.IsPathRooted(revision) || !revision.Split('/').All(IsSafeName))
            throw new ArgumentException($"'{revision}' is not a revision (a branch, tag or commit hash): {SafePathRule}", nameof(revision));

        var path = $"{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', segments.Select(Uri.EscapeDataString))}";
        return new HubFileReference(repository, fileName, revision, new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + path));
    }

    /// <summary>
    /// One name between '/' that stays a plain name inside its folder on every OS: no root, drive or stream (<c>\</c>,
    /// <c>:</c>), no character Windows refuses, no trailing '.' or space (Windows drops them, so "x." would name "x"
    /// and "..." the folder itself), no DOS device name.
    /// </summary>
    private static bool IsSafeName(string name) =>
        name.Length > 0 && !name.EndsWith('.') && !name.EndsWith(' ') && name.IndexOfAny(UnsafeCharacters) < 0
        && !name.Any(char.IsControl) && !DeviceName().IsMatch(name);

    /// <summary>A full 40-hex commit hash (huggingface_hub's <c>REGEX_COMMIT_HASH</c>).</summary>
    public static bool IsCommitHash(string value) => CommitPattern().IsMatch(value);

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,96}/[A-Za-z0-9_.\-]{1,96}$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])(\..*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex DeviceName();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}

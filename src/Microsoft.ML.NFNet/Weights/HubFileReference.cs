using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>One file of one model repository at one revision, validated, with its hub URL and cache folder name.</summary>
internal sealed partial record HubFileReference(string Repository, string FileName, string Revision, Uri Url)
{
    /// <summary>The repository's folder in the cache: <c>models--{owner}--{name}</c> (huggingface_hub's <c>repo_folder_name</c>).</summary>
    public string FolderName => "models--" + Repository.Replace("/", "--");

    /// <summary>The file's path below a snapshot folder, with this platform's separators.</summary>
    public string RelativePath => Path.Combine(FileName.Split('/'));

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
        if (fileName.Contains('\\') || Path.IsPathRooted(fileName) || segments.Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"'{fileName}' is not a relative file path inside a repository (use '/' and no '..').", nameof(fileName));
        if (revision.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"'{revision}' is not a revision (a branch, tag or commit hash).", nameof(revision));

        var path = $"{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', segments.Select(Uri.EscapeDataString))}";
        return new HubFileReference(repository, fileName, revision, new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + path));
    }

    /// <summary>A full 40-hex commit hash (huggingface_hub's <c>REGEX_COMMIT_HASH</c>).</summary>
    public static bool IsCommitHash(string value) => CommitPattern().IsMatch(value);

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,96}/[A-Za-z0-9_.\-]{1,96}$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}

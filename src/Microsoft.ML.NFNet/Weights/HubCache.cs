namespace Microsoft.ML.NFNet;

/// <summary>
/// huggingface_hub's cache layout for one repository, so files are shared with Python:
/// <c>{cache}/models--{owner}--{name}/blobs/{etag}</c> (the content), <c>snapshots/{commit}/{file}</c> (a relative symlink
/// to the blob, or a copy where symlinks are unavailable), <c>refs/{revision}</c> (the commit a branch pointed to), and
/// lock files under <c>{cache}/.locks/models--{owner}--{name}/{etag}.lock</c>.
/// </summary>
internal sealed class HubCache(string cacheDirectory, HubFileReference file)
{
    public string RepositoryFolder { get; } = Path.Combine(cacheDirectory, file.FolderName);

    public string BlobPath(string etag) => Path.Combine(RepositoryFolder, "blobs", etag);

    public string SnapshotPath(string commit) => Path.Combine(RepositoryFolder, "snapshots", commit, file.RelativePath);

    public string LockPath(string etag) => Path.Combine(cacheDirectory, ".locks", file.FolderName, etag + ".lock");

    private string RefPath(string revision) => Path.Combine(RepositoryFolder, "refs", Path.Combine(revision.Split('/')));

    /// <summary>The cached file for the revision (a commit, or a branch through <c>refs/</c>), or null; no network.</summary>
    public string? FindCached(string revision) => FindCached(revision, out _);

    /// <summary>
    /// As <see cref="FindCached(string)"/>; a file whose blob is named by a sha256 it no longer has (a flipped bit, a
    /// cut) is not returned, and <paramref name="damage"/> says what is wrong with it.
    /// </summary>
    public string? FindCached(string revision, out string? damage)
    {
        damage = null;
        var commit = HubFileReference.IsCommitHash(revision) ? revision : ReadRef(revision);
        if (commit is null || !HubFileReference.IsCommitHash(commit))
            return null;
        var snapshot = SnapshotPath(commit);
        if (!IsUsableFile(snapshot))
            return null;
        damage = HubCachedFile.FindDamage(snapshot, size: null, sha256: null);
        return damage is null ? snapshot : null;
    }

    private string? ReadRef(string revision)
    {
        try
        {
            var path = RefPath(revision);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Records that <paramref name="revision"/> points at <paramref name="commit"/> (written to a temp name, then renamed).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit || ReadRef(revision) == commit)
            return;
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temp, commit);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Makes <paramref name="snapshot"/> point at <paramref name="blob"/>: a relative symlink as huggingface_hub makes, or,
    /// where symlinks fail, the blob itself (moved when it is new, as huggingface_hub does; else copied). The final name
    /// appears only complete (made under a temp name, then renamed).
    /// </summary>
    public static void CreatePointer(string blob, string snapshot, bool newBlob, bool useSymlinks)
    {
        var folder = Path.GetDirectoryName(snapshot)!;
        Directory.CreateDirectory(folder);
        var temp = $"{snapshot}.{Guid.NewGuid():N}.tmp";
        try
        {
            if (useSymlinks && TryCreateSymlink(temp, Path.GetRelativePath(folder, blob)))
            {
                File.Move(temp, snapshot, overwrite: true);
                return;
            }
            if (newBlob)
            {
                File.Move(blob, snapshot, overwrite: true);
                return;
            }
            File.Copy(blob, temp);
            File.Move(temp, snapshot, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static bool TryCreateSymlink(string path, string relativeTarget)
    {
        try
        {
            File.CreateSymbolicLink(path, relativeTarget);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false; // e.g. Windows without Developer Mode
        }
    }

    /// <summary>A regular file, or a symlink whose final target is one (a dangling link does not count).</summary>
    public static bool IsUsableFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is null)
                return info.Exists;
            return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

namespace Microsoft.ML.NFNet.Tests;

/// <summary>
/// What a temp file left behind in a folder looks like: the files in it, and (Linux) the files under it this process
/// still holds open, deleted or not (<c>/proc/self/fd</c>): a deleted file whose handle is still open keeps its disk
/// space until the process ends.
/// </summary>
internal static class LeftoverFiles
{
    /// <summary>The folder's files, and "open: {path}" for every file under it this process has open.</summary>
    public static string[] In(string folder)
    {
        var found = Directory.GetFiles(folder).ToList();
        if (!OperatingSystem.IsLinux())
            return [.. found];
        foreach (var descriptor in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(descriptor).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }
            if (target is not null && target.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                found.Add($"open: {target}");
        }
        return [.. found];
    }

    /// <summary>A fresh empty folder for temp files, deleted with what is left in it when disposed.</summary>
    public static TempFolder NewFolder() => new(Directory.CreateTempSubdirectory("nfnet-spill-test-").FullName);

    /// <summary>A test's temp folder: <see cref="Path"/>, deleted on <see cref="Dispose"/>.</summary>
    public sealed record TempFolder(string Path) : IDisposable
    {
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

using System.Diagnostics;

namespace Microsoft.ML.NFNet;

/// <summary>
/// An exclusive lock on a lock file, held by keeping it open with <see cref="FileShare.None"/>. On Unix .NET takes it
/// with <c>flock(LOCK_EX)</c>, the call Python's <c>filelock</c> makes for huggingface_hub, so the lock excludes other
/// threads, other .NET processes and Python alike; the OS releases it if the holder dies.
/// </summary>
internal sealed class HubFileLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly FileStream stream;

    private HubFileLock(FileStream stream) => this.stream = stream;

    public static async Task<HubFileLock> AcquireAsync(string path, TimeSpan timeout, string url, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new HubFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                if (timeout != Timeout.InfiniteTimeSpan && waited.Elapsed >= timeout)
                    throw new HubDownloadException(
                        $"Another process or thread has been downloading {url} for over {timeout} (it holds the lock file " +
                        $"{path}). Wait for it to finish, or raise HubDownloadOptions.LockTimeout.", url, innerException: e);
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A sharing or lock violation (another holder), not a missing folder or a permission problem.</summary>
    private static bool IsHeldElsewhere(IOException e) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        && (e.HResult & 0xFFFF) is 11 or 35 or 0x20 or 0x21; // EWOULDBLOCK (Linux, macOS); ERROR_SHARING/LOCK_VIOLATION

    public void Dispose() => stream.Dispose();
}

using Microsoft.Win32.SafeHandles;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A temp file written once, front to back, then read at offsets by any number of threads at once (positional reads,
/// no shared file position). It never outlives its owner: it is deleted when disposed (also when training fails or is
/// cancelled), and on Linux and macOS its name is removed as soon as it is created, so not even a killed process
/// leaves it behind (the space is freed when the handle closes).
/// </summary>
internal sealed class TempDataFile : IDisposable
{
    private const int WriteBufferBytes = 1 << 20;

    private readonly SafeFileHandle handle;
    private byte[]? writeBuffer = new byte[WriteBufferBytes];
    private int buffered;

    private TempDataFile(SafeFileHandle handle, string path)
    {
        this.handle = handle;
        Path = path;
    }

    /// <summary>Where the file was created (on Linux and macOS the name no longer exists).</summary>
    public string Path { get; }

    /// <summary>Bytes appended so far.</summary>
    public long Length { get; private set; }

    /// <summary>Creates an empty temp file in <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder (must exist).</param>
    /// <param name="purpose">Part of the file name, e.g. "images".</param>
    /// <exception cref="IOException">The file cannot be created; the message names the folder and what to do.</exception>
    public static TempDataFile Create(string folder, string purpose)
    {
        var path = System.IO.Path.Combine(folder, $"nfnet-{purpose}-{Guid.NewGuid():N}.tmp");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
                FileOptions.DeleteOnClose | FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot create a temp file for the training data in '{folder}': {e.Message} " +
                "Point TMPDIR (TMP on Windows) at a writable folder with free space.", e);
        }
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                File.Delete(path); // the open handle keeps the data; DeleteOnClose remains the fallback
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return new TempDataFile(handle, path);
    }

    /// <summary>Appends <paramref name="data"/> at the end.</summary>
    /// <exception cref="IOException">The disk is full or failing; the message names the folder and what to do.</exception>
    public void Append(ReadOnlySpan<byte> data)
    {
        var buffer = writeBuffer ?? throw new InvalidOperationException("The temp file is complete: it can only be read.");
        if (buffered + data.Length > buffer.Length)
            Flush();
        if (data.Length >= buffer.Length)
            Write(data);
        else
        {
            data.CopyTo(buffer.AsSpan(buffered));
            buffered += data.Length;
        }
        Length += data.Length;
    }

    /// <summary>Writes what is buffered; afterwards the file can only be read.</summary>
    public void Complete()
    {
        Flush();
        writeBuffer = null;
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; safe on any number of threads at
    /// once once the file is complete.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (writeBuffer is not null)
            throw new InvalidOperationException("The temp file is still being written.");
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
                throw new IOException($"The temp file '{Path}' ended early: it was changed while training read it.");
            destination = destination[read..];
            offset += read;
        }
    }

    public void Dispose()
    {
        writeBuffer = null;
        handle.Dispose();
    }

    private void Flush()
    {
        if (buffered == 0)
            return;
        Write(writeBuffer!.AsSpan(0, buffered));
        buffered = 0;
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        var offset = Length - buffered;
        try
        {
            RandomAccess.Write(handle, data, offset);
        }
        catch (IOException e)
        {
            throw new IOException($"Writing the training data's temp file in '{System.IO.Path.GetDirectoryName(Path)}' failed " +
                $"({e.Message}). Free disk space there or point TMPDIR (TMP on Windows) at another folder.", e);
        }
    }
}

using Microsoft.Win32.SafeHandles;

namespace Microsoft.ML.NFNet;

/// <summary>Where safetensors bytes are read from: a file, or a buffer (a model zip's stream). Every read is checked
/// against the real length, so a lying header can never make the reader allocate or read past the end.</summary>
internal abstract class SafetensorsSource : IDisposable
{
    /// <summary>The file path or a description of the stream, for messages.</summary>
    public abstract string Name { get; }

    public abstract long Length { get; }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; a source that ends first is invalid.</summary>
    public abstract void ReadExactly(Span<byte> buffer, long offset);

    public virtual void Dispose()
    {
    }

    public static SafetensorsSource OpenFile(string path)
    {
        // Checked up front so that a missing folder is reported like a missing file.
        if (!File.Exists(path))
            throw new FileNotFoundException($"The safetensors file '{path}' was not found.", path);
        return new FileSource(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan));
    }

    public static SafetensorsSource FromMemory(ReadOnlyMemory<byte> bytes, string name) => new MemorySource(bytes, name);

    private sealed class FileSource(string path, SafeFileHandle file) : SafetensorsSource
    {
        public override string Name => path;

        public override long Length { get; } = RandomAccess.GetLength(file);

        public override void ReadExactly(Span<byte> buffer, long offset)
        {
            while (!buffer.IsEmpty)
            {
                var read = RandomAccess.Read(file, buffer, offset);
                if (read == 0)
                    throw SafetensorsHeader.Invalid(path, $"the file ended at offset {offset} while reading it (was it truncated meanwhile?)");
                buffer = buffer[read..];
                offset += read;
            }
        }

        public override void Dispose() => file.Dispose();
    }

    private sealed class MemorySource(ReadOnlyMemory<byte> bytes, string name) : SafetensorsSource
    {
        public override string Name => name;

        public override long Length => bytes.Length;

        public override void ReadExactly(Span<byte> buffer, long offset)
        {
            if (offset < 0 || offset + buffer.Length > bytes.Length)
                throw SafetensorsHeader.Invalid(name, $"the data ended before offset {offset + buffer.Length}");
            bytes.Span.Slice((int)offset, buffer.Length).CopyTo(buffer);
        }
    }
}

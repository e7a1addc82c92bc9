using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Pooled features of a set of images, one float32 row each: a tensor on the training device, or a region of a temp
/// file whose rows are read back (and moved to the device) per batch.
/// </summary>
internal sealed class FeatureRows : IDisposable
{
    private readonly Tensor? inMemory;
    private readonly TempDataFile? file;
    private readonly long fileOffset;
    private readonly Device device;

    private FeatureRows(Tensor? inMemory, TempDataFile? file, long fileOffset, long count, int width, Device device)
    {
        this.inMemory = inMemory;
        this.file = file;
        this.fileOffset = fileOffset;
        this.device = device;
        Count = count;
        Width = width;
    }

    /// <summary>Rows.</summary>
    public long Count { get; }

    /// <summary>Features per row.</summary>
    public int Width { get; }

    private long RowBytes => (long)Width * sizeof(float);

    /// <summary>Features of the images at <paramref name="usable"/>, computed <paramref name="batchSize"/> at a time by
    /// <paramref name="featuresOf"/> (given the chunk and its first row), kept on <paramref name="device"/>, or appended to
    /// <paramref name="file"/> when one is given (the file stays open for the caller; these rows only read it).</summary>
    public static FeatureRows Compute(int[] usable, int width, int batchSize, Device device, TempDataFile? file,
        Func<int[], int, Tensor> featuresOf, CancellationToken cancellationToken)
    {
        var chunks = new List<Tensor>();
        var fileOffset = file?.Length ?? 0;
        try
        {
            var row = 0;
            foreach (var chunk in usable.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                // float32 whatever the compute precision: the classifier's dtype.
                var features = featuresOf(chunk, row).to(float32);
                row += chunk.Length;
                if (file is null)
                    chunks.Add(features.MoveToOuterDisposeScope());
                else
                    file.Append(features.cpu().contiguous().bytes);
            }
            return file is null
                ? new FeatureRows(cat(chunks, 0), null, 0, usable.Length, width, device)
                : new FeatureRows(null, file, fileOffset, usable.Length, width, device);
        }
        finally
        {
            foreach (var chunk in chunks)
                chunk.Dispose();
        }
    }

    /// <summary>The rows at <paramref name="rows"/>, in that order, as a [n, Width] tensor on the device.</summary>
    public Tensor Select(long[] rows)
    {
        if (inMemory is not null)
        {
            using var index = tensor(rows, device: inMemory.device);
            return inMemory.index_select(0, index);
        }
        var read = empty([rows.Length, Width], float32);
        var bytes = read.bytes;
        for (var k = 0; k < rows.Length; k++)
            file!.Read(fileOffset + rows[k] * RowBytes, bytes.Slice(checked((int)(k * RowBytes)), (int)RowBytes));
        return ToDevice(read);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> - 1 as a
    /// [length, Width] tensor on the device.</summary>
    public Tensor Range(long start, long length)
    {
        if (inMemory is not null)
            return inMemory.narrow(0, start, length);
        var read = empty([length, Width], float32);
        file!.Read(fileOffset + start * RowBytes, read.bytes);
        return ToDevice(read);
    }

    // to() hands back the same tensor when it is on the device already.
    private Tensor ToDevice(Tensor cpu)
    {
        if (device.type == TorchSharp.DeviceType.CPU)
            return cpu;
        var moved = cpu.to(device);
        cpu.Dispose();
        return moved;
    }

    /// <summary>Frees the tensor; the file belongs to the caller.</summary>
    public void Dispose() => inMemory?.Dispose();
}

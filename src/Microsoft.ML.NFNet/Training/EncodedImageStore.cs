namespace Microsoft.ML.NFNet;

/// <summary>
/// Labeled encoded images appended once, in order, then read in any order by any number of threads: held in memory while
/// their bytes fit <see cref="DataMemoryBudget.EncodedImageBytes"/>, in a <see cref="TempDataFile"/> (read back at
/// offsets) from the image that would exceed it on. Only the labels and the offsets (12 bytes an image) stay in memory
/// then, so memory stays flat however many images are added.
/// </summary>
internal sealed class EncodedImageStore : IDisposable
{
    private readonly DataMemoryBudget budget;
    private readonly List<int> labels = [];
    private List<byte[]>? inMemory = [];
    private TempDataFile? file;
    private List<long>? offsets; // start of image i in the file; one more entry for the end
    private bool complete;

    public EncodedImageStore(DataMemoryBudget budget)
    {
        this.budget = budget;
    }

    /// <summary>Images added.</summary>
    public int Count => labels.Count;

    /// <summary>Encoded bytes of all images.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether the images went to a temp file.</summary>
    public bool Spilled => file is not null;

    /// <summary>The memory budget the choice was made by.</summary>
    public long Budget => budget.EncodedImageBytes;

    /// <summary>The temp folder (where the images went, when <see cref="Spilled"/>).</summary>
    public string Folder => budget.TempFolder;

    /// <summary>Appends an image; its index is the <see cref="Count"/> before the call.</summary>
    public void Add(ReadOnlySpan<byte> encoded, int label)
    {
        if (complete)
            throw new InvalidOperationException("The store is complete: it can only be read.");
        Bytes += encoded.Length;
        labels.Add(label);
        if (file is null && Bytes > budget.EncodedImageBytes)
            MoveToFile();
        if (file is not null)
        {
            file.Append(encoded);
            offsets!.Add(file.Length);
        }
        else
        {
            inMemory!.Add(encoded.ToArray());
        }
    }

    /// <summary>Ends adding; from now on the images can be read.</summary>
    public void Complete()
    {
        file?.Complete();
        complete = true;
        // The images that went to the file passed through memory: a budget's worth held before the move, and every
        // later one as an array the data view handed over. That garbage has partly aged into generation 2, where it
        // could stay uncollected, and resident, for the whole run: one aggressive collection hands it back now.
        if (file is not null)
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>The label of image <paramref name="index"/> (no bytes are read).</summary>
    public int Label(int index) => labels[index];

    /// <summary>The bytes of image <paramref name="index"/>: the stored array itself in memory, a fresh copy read from
    /// the temp file otherwise. Safe on any number of threads at once.</summary>
    public ReadOnlyMemory<byte> Encoded(int index)
    {
        if (!complete)
            throw new InvalidOperationException("The store is still being written.");
        if (file is null)
            return inMemory![index];
        var start = offsets![index];
        var bytes = new byte[checked((int)(offsets[index + 1] - start))];
        file.Read(start, bytes);
        return bytes;
    }

    public void Dispose() => file?.Dispose();

    // The images so far go to the file in order, then the memory they held is let go.
    private void MoveToFile()
    {
        var created = TempDataFile.Create(budget.TempFolder, "images");
        var starts = new List<long>(labels.Capacity + 1) { 0 };
        try
        {
            foreach (var image in inMemory!)
            {
                created.Append(image);
                starts.Add(created.Length);
            }
        }
        catch
        {
            created.Dispose();
            throw;
        }
        (file, offsets, inMemory) = (created, starts, null);
    }
}

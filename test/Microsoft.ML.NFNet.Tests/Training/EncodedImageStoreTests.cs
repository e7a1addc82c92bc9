namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>Issue 22: encoded images over the memory budget go to a temp file, are read back byte for byte by many
/// threads at once, and the file never outlives the store.</summary>
[TestClass]
public class EncodedImageStoreTests
{
    // Sizes around the 1 MiB write buffer and an empty image (which must fail decoding later, not vanish here).
    private static readonly int[] Sizes = [0, 1, 700, 50_000, (1 << 20) - 3, 1 << 20, (1 << 20) + 5, 3 << 20, 2, 90_000];

    private static byte[][] Images(int seed) => Sizes.Select((size, i) =>
    {
        var bytes = new byte[size];
        new Random(seed + i).NextBytes(bytes);
        return bytes;
    }).ToArray();

    [TestMethod]
    public void ImagesOverTheBudgetAreReadBackByteForByteFromManyThreads()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var images = Images(seed: 1);
        using var store = new EncodedImageStore(new DataMemoryBudget(EncodedImageBytes: 60_000, FeatureBytes: 0, folder));
        for (var i = 0; i < images.Length; i++)
            store.Add(images[i], label: i % 3);
        store.Complete();

        Assert.IsTrue(store.Spilled, "more than 60,000 bytes go to the temp file");
        Assert.AreEqual(images.Sum(x => (long)x.Length), store.Bytes);
        var order = Enumerable.Range(0, 400).Select(k => k * 7 % images.Length).ToArray();
        var mismatches = 0;
        Parallel.For(0, order.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            var i = order[k];
            if (!store.Encoded(i).Span.SequenceEqual(images[i]) || store.Label(i) != i % 3)
                Interlocked.Increment(ref mismatches);
        });
        Assert.AreEqual(0, mismatches, "every concurrent read gives the bytes and label that were added");
    }

    [TestMethod]
    public void ImagesWithinTheBudgetStayInMemoryWithoutATempFile()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var images = Images(seed: 2)[..4]; // 50,701 bytes
        using var store = new EncodedImageStore(new DataMemoryBudget(EncodedImageBytes: 60_000, FeatureBytes: 0, folder));
        for (var i = 0; i < images.Length; i++)
            store.Add(images[i], label: 1);
        store.Complete();

        Assert.IsFalse(store.Spilled);
        Assert.IsEmpty(LeftoverFiles.In(folder));
        for (var i = 0; i < images.Length; i++)
            Assert.IsTrue(store.Encoded(i).Span.SequenceEqual(images[i]), $"image {i}");
    }

    [TestMethod]
    public void TheTempFileIsGoneOnceTheStoreIsDisposed()
    {
        using var temp = LeftoverFiles.NewFolder();
        var folder = temp.Path;
        var store = new EncodedImageStore(new DataMemoryBudget(EncodedImageBytes: 10, FeatureBytes: 0, folder));
        store.Add(new byte[100], 0);
        store.Complete();
        var whileOpen = LeftoverFiles.In(folder);
        store.Dispose();

        Assert.HasCount(1, whileOpen, "the file exists (or is held open) while the store is in use: " + string.Join(", ", whileOpen));
        Assert.IsEmpty(LeftoverFiles.In(folder), "nothing left in the folder, nothing held open");
        Assert.ThrowsExactly<ObjectDisposedException>(() => store.Encoded(0));
    }

    [TestMethod]
    public void AMissingTempFolderIsNamedWithWhatToDo()
    {
        var folder = Path.Combine(Path.GetTempPath(), "nfnet-no-such-folder-" + Guid.NewGuid().ToString("N"));
        using var store = new EncodedImageStore(new DataMemoryBudget(EncodedImageBytes: 10, FeatureBytes: 0, folder));

        var e = Assert.ThrowsExactly<IOException>(() => store.Add(new byte[100], 0));

        StringAssert.Contains(e.Message, folder);
        StringAssert.Contains(e.Message, "TMPDIR");
    }
}

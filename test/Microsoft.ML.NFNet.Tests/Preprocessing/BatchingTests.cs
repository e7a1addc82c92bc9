using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

[TestClass]
public class BatchingTests
{
    private static readonly ReadOnlyMemory<byte>[] Images =
        [.. Enumerable.Range(0, 6).Select(seed => RgbImage.Noise(64 + 8 * seed, 48, seed).EncodeJpeg(90))];

    [TestMethod]
    public void BatchesHaveTheExpectedShapesAndTypes()
    {
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 40 });
        using var evaluation = batcher.CreateEvaluationBatch(Images);
        using var training = batcher.CreateTrainingBatch(Images, [0, 1, 2, 0, 1, 2], 3, 0, new Random(0));

        CollectionAssert.AreEqual(new long[] { 6, 3, 40, 40 }, evaluation.shape);
        Assert.AreEqual(ScalarType.Float32, evaluation.dtype);
        Assert.IsTrue(evaluation.is_contiguous());
        CollectionAssert.AreEqual(new long[] { 6, 3, 40, 40 }, training.Images.shape);
        Assert.AreEqual(ScalarType.Float32, training.Images.dtype);
        CollectionAssert.AreEqual(new long[] { 6 }, training.Targets.shape);
        Assert.AreEqual(ScalarType.Int64, training.Targets.dtype);
    }

    [TestMethod]
    public void ParallelAndSequentialBatchesAreIdentical()
    {
        var options = TestAugmentation.Standard with { ImageSize = 40, CutMixAlpha = 1 };
        using var parallel = new ImageBatcher(options, maxDegreeOfParallelism: 4)
            .CreateTrainingBatch(Images, [0, 1, 2, 0, 1, 2], 3, 0.1, new Random(9));
        using var sequential = new ImageBatcher(options, maxDegreeOfParallelism: 1)
            .CreateTrainingBatch(Images, [0, 1, 2, 0, 1, 2], 3, 0.1, new Random(9));
        TensorAssert.Identical(parallel.Images, sequential.Images);
        TensorAssert.Identical(parallel.Targets, sequential.Targets);
    }

    [TestMethod]
    public void RepeatedBatchesLeaveNoLiveTensorsBehind()
    {
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 32, MixUpAlpha = 0.2, CutMixAlpha = 1 });
        var random = new Random(0);
        void RunBatches()
        {
            for (var i = 0; i < 5; i++)
            {
                batcher.CreateEvaluationBatch(Images).Dispose();
                batcher.CreateTrainingBatch(Images, [0, 1, 2, 0, 1, 2], 3, 0.1, random).Dispose();
            }
        }

        RunBatches(); // first calls may create lazily cached tensors
        // Tensors other tests left to the garbage collector would otherwise be finalized during the count (it went down).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var liveBefore = Tensor.TotalCount;
        RunBatches();
        Assert.AreEqual(liveBefore, Tensor.TotalCount, "live tensors after 10 more batches");
    }

    [TestMethod]
    public void AnUndecodableImageIsReportedWithItsBatchIndex()
    {
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 32 });
        ReadOnlyMemory<byte>[] images = [Images[0], Images[1], new byte[] { 1, 2, 3 }, Images[2], Array.Empty<byte>()];
        var liveBefore = Tensor.TotalCount;

        var exception = Assert.ThrowsExactly<InvalidImageException>(() => batcher.CreateEvaluationBatch(images));

        Assert.AreEqual(2, exception.BatchIndex, "the first bad image");
        StringAssert.Contains(exception.Message, "not an image");
        Assert.AreEqual(liveBefore, Tensor.TotalCount, "a failed batch frees what it allocated");
    }

    [TestMethod]
    public void LabelsAreValidated()
    {
        var batcher = new ImageBatcher(TestAugmentation.Standard with { ImageSize = 32 });
        ReadOnlyMemory<byte>[] two = [Images[0], Images[1]];
        Assert.ThrowsExactly<ArgumentException>(() => batcher.CreateTrainingBatch(two, [0], 2, 0, new Random()));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batcher.CreateTrainingBatch(two, [0, 2], 2, 0, new Random()));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batcher.CreateTrainingBatch(two, [0, -1], 2, 0, new Random()));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batcher.CreateTrainingBatch(two, [0, 1], 2, 1.0, new Random()));
    }
}

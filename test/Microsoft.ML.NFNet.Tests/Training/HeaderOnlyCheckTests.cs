using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>
/// Issue 22: the check before training reads image headers (and, for JPEG and PNG, whether the file ends as its format
/// requires) instead of decoding every image; an image damaged inside, which only decoding finds, fails training naming
/// the image, or with SkipInvalidImages is left out wherever it is found: training batches, validation, the head's
/// feature cache.
/// </summary>
[TestClass]
public class HeaderOnlyCheckTests
{
    private static NFNetConfig Tiny => TinyConfigs.Light with { Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16, BottleneckRatio = 0.5 };

    [TestMethod]
    public void APngDamagedInsidePassesTheHeaderCheckButCannotBeDecoded()
    {
        var damaged = DamagedInside(SyntheticImages.Create(perClass: 1, classes: 1, size: 32, seed: 1)[0].Encoded.ToArray());

        var header = ImageHeaderCheck.Read(damaged, ImageSizeLimit.Pixels(1 << 20));

        Assert.IsNotNull(header);
        Assert.IsFalse(header.Value.NeedsDecoding, "a complete-looking PNG is vouched for by its header");
        Assert.AreEqual((32, 32), (header.Value.Width, header.Value.Height));
        Assert.ThrowsExactly<InvalidImageException>(() => ImageDecoder.DecodeRgb(damaged, 1 << 20).Dispose());
    }

    [TestMethod]
    public void AFileCutShortOrWithDataAfterItsEndIsDecodedByTheCheck()
    {
        var png = SyntheticImages.Create(perClass: 1, classes: 1, size: 32, seed: 1)[0].Encoded.ToArray();
        var limit = ImageSizeLimit.Pixels(1 << 20);

        Assert.IsTrue(ImageHeaderCheck.Read(png[..(png.Length - 20)], limit)!.Value.NeedsDecoding, "cut short");
        Assert.IsTrue(ImageHeaderCheck.Read([.. png, 0, 0], limit)!.Value.NeedsDecoding, "bytes after IEND");
        Assert.IsFalse(ImageHeaderCheck.Read(png, limit)!.Value.NeedsDecoding);
        Assert.IsNull(ImageHeaderCheck.Read(png[..8], limit), "a header cut short: decoding gives the verdict");
        var oversized = Assert.ThrowsExactly<InvalidImageException>(() => ImageHeaderCheck.Read(png, ImageSizeLimit.Pixels(100)));
        StringAssert.Contains(oversized.Message, "MaxImagePixels");
    }

    [TestMethod]
    public void ATruncatedImageStillFailsBeforeTraining()
    {
        var images = Images(SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 8), out var data, 5, bytes => bytes[..(bytes.Length / 2)]);
        var reports = new List<TrainingMetrics>();
        using var model = NewModel();

        var error = Assert.ThrowsExactly<InvalidImageException>(() =>
            new NFNetTrainingEngine(Options(1) with { LogEveryBatches = 1, MetricsCallback = reports.Add }).Train(model, data));

        StringAssert.Contains(error.Message, "row 5 of the training data");
        StringAssert.Contains(error.Message, "SkipInvalidImages = true");
        Assert.IsFalse(error.Message.Contains("headers only"), "found by the check: " + error.Message);
        Assert.IsEmpty(reports, "no step ran");
        Assert.AreEqual(8, images.Count);
    }

    [TestMethod]
    public void AnImageDamagedInsideFailsTrainingNamingItOrIsLeftOut()
    {
        Images(SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 8), out var data, 5, DamagedInside);
        using var model = NewModel();

        var error = Assert.ThrowsExactly<InvalidImageException>(() => new NFNetTrainingEngine(Options(1)).Train(model, data));
        StringAssert.Contains(error.Message, "row 5 of the training data");
        StringAssert.Contains(error.Message, "SkipInvalidImages = true");
        StringAssert.Contains(error.Message, "headers only");

        var notes = new List<string>();
        var reports = new List<TrainingMetrics>();
        var result = new NFNetTrainingEngine(Options(2) with { SkipInvalidImages = true, LogEveryBatches = 1, MetricsCallback = reports.Add },
            notes.Add).Train(model, data);

        Assert.AreEqual(1, result.SkippedImages);
        Assert.AreEqual(1, notes.Count(n => n.StartsWith("Left out row 5 of the training data: it cannot be decoded", StringComparison.Ordinal)),
            "logged once, though both epochs meet it: " + string.Join("\n", notes));
        Assert.AreEqual(1, reports[^1].SkippedImages);
        Assert.IsTrue(result.History.All(h => double.IsFinite(h.TrainLoss)));
    }

    [TestMethod]
    public void AValidationImageDamagedInsideIsNamedOrLeftOutOfTheMetrics()
    {
        var train = SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 8);
        Images(SyntheticImages.Create(perClass: 4, classes: 2, size: 32, seed: 9), out var validation, 3, DamagedInside);
        using var model = NewModel();

        var error = Assert.ThrowsExactly<InvalidImageException>(() => new NFNetTrainingEngine(Options(1)).Train(model, train, validation));
        StringAssert.Contains(error.Message, "row 3 of the validation data");

        var result = new NFNetTrainingEngine(Options(1) with { SkipInvalidImages = true }).Train(model, train, validation);
        Assert.AreEqual(1, result.SkippedImages);
        Assert.IsTrue(double.IsFinite(result.History[0].ValidationLoss!.Value));
        var accuracyOverSeven = result.History[0].ValidationAccuracy!.Value * 7;
        Assert.AreEqual(Math.Round(accuracyOverSeven), accuracyOverSeven, 1e-9, "accuracy over the 7 decodable images");
    }

    [TestMethod]
    public void TheHeadsFeatureCacheLeavesOutADamagedImageAsTheFrozenBackboneDoes()
    {
        Images(SyntheticImages.Create(perClass: 6, classes: 2, size: 32, seed: 1), out var train, 4, DamagedInside);
        Images(SyntheticImages.Create(perClass: 2, classes: 2, size: 32, seed: 2), out var validation, 1, DamagedInside);
        var options = Options(2) with { SkipInvalidImages = true, TrainableParts = NFNetTrainableParts.Head, BatchSize = 4 };
        var notes = new List<string>();
        using var cached = NewModel();
        using var direct = NewModel();

        var withCache = new NFNetTrainingEngine(options, notes.Add).Train(cached, train, validation, pretrained: true);
        var withoutCache = new NFNetTrainingEngine(options) { CacheHeadFeatures = false }.Train(direct, train, validation, pretrained: true);

        Assert.IsTrue(notes.Any(n => n.Contains("computed the backbone's features")), string.Join("\n", notes));
        Assert.AreEqual(2, withCache.SkippedImages);
        Assert.AreEqual(2, withoutCache.SkippedImages);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            Assert.AreEqual(withoutCache.History[epoch].TrainLoss, withCache.History[epoch].TrainLoss, 1e-5, $"epoch {epoch + 1} loss");
            Assert.AreEqual(withoutCache.History[epoch].ValidationLoss!.Value, withCache.History[epoch].ValidationLoss!.Value, 1e-5, "validation");
        }
    }

    [TestMethod]
    public void GrayscaleComesFromTheHeader()
    {
        using var gray = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(8, 8, SkiaSharp.SKColorType.Gray8));
        using var encoded = gray.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var colour = SyntheticImages.Create(perClass: 1, classes: 1, size: 8, seed: 1)[0].Encoded.ToArray();
        var limit = ImageSizeLimit.Pixels(1 << 20);

        Assert.IsTrue(ImageHeaderCheck.Read(encoded.ToArray(), limit)!.Value.Grayscale);
        Assert.IsFalse(ImageHeaderCheck.Read(colour, limit)!.Value.Grayscale);
    }

    // A PNG whose first IDAT chunk has its compressed data flipped: header and ending intact, pixels not decodable.
    private static byte[] DamagedInside(byte[] png)
    {
        var damaged = png.ToArray();
        var idat = png.AsSpan().IndexOf(Encoding.ASCII.GetBytes("IDAT"));
        var length = BinaryPrimitives.ReadInt32BigEndian(damaged.AsSpan(idat - 4));
        for (var i = idat + 4 + 2; i < idat + 4 + length; i++)
            damaged[i] ^= 0x5A;
        return damaged;
    }

    // The images, with image `index` changed, as a source that names images "row {i}".
    private static List<LabeledImage> Images(InMemoryImageDataSource source, out InMemoryImageDataSource changed, int index,
        Func<byte[], byte[]> change)
    {
        var images = Enumerable.Range(0, source.Count).Select(i => source[i]).ToList();
        images[index] = new LabeledImage(change(images[index].Encoded.ToArray()), images[index].Label);
        changed = new InMemoryImageDataSource(images, source.ClassCount, i => $"row {i}");
        return images;
    }

    private static NFNetTrainingOptions Options(int epochs) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        Seed = 3,
        LogEveryBatches = 0,
        Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, RandomResizedCrop = false, HorizontalFlipProbability = 0, MixUpAlpha = 0, CutMixAlpha = 0 },
        Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 0 },
    };

    private static NFNetModel NewModel()
    {
        manual_seed(1);
        return new NFNetModel(Tiny, 2);
    }
}

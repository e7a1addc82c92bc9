using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>Bad data and settings fail before training, with a message that says what to do.</summary>
[TestClass]
public class BadInputTests
{
    private static readonly MLContext MLContext = new(seed: 1);

    [TestMethod]
    public void ALabelThatIsNotAKeySaysToUseMapValueToKey()
    {
        var data = MLContext.Data.LoadFromEnumerable(TestImages.Images(2, 1));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        StringAssert.Contains(e.Message, "MapValueToKey");
    }

    [TestMethod]
    public void AMissingLabelColumnIsNamed()
    {
        var data = MLContext.Data.LoadFromEnumerable(TestImages.Images(2, 1).Select(i => new ImageInput { ImageSource = i.ImageSource }));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        StringAssert.Contains(e.Message, "Label");
    }

    [TestMethod]
    public void OneClassIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Trainer().Fit(Keyed(TestImages.Images(3, 1).Where(i => i.Label == "red"))));
        StringAssert.Contains(e.Message, "at least two");
    }

    [TestMethod]
    public void DataWithOneClassPresentIsRejected()
    {
        var images = TestImages.Images(3, 1);
        var keyed = MLContext.Transforms.Conversion.MapValueToKey("Label").Fit(Data(images));
        var onlyRed = keyed.Transform(Data(images.Where(i => i.Label == "red")));

        var e = Assert.Throws<ArgumentException>(() => Trainer().Fit(onlyRed));
        StringAssert.Contains(e.Message, "only one class");
    }

    [TestMethod]
    public void AnEmptyDataSetIsRejected()
    {
        var images = TestImages.Images(3, 1);
        var keyed = MLContext.Transforms.Conversion.MapValueToKey("Label").Fit(Data(images));

        var e = Assert.Throws<ArgumentException>(() => Trainer().Fit(keyed.Transform(Data([]))));
        StringAssert.Contains(e.Message, "no rows");
    }

    [TestMethod]
    public void AnMLImageColumnSaysToLoadRawImageBytes()
    {
        var data = Keyed(TestImages.Images(2, 1));
        var withImages = new CustomImageColumn().Transform(data);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer("Image").Fit(withImages));
        StringAssert.Contains(e.Message, "LoadRawImageBytes");
    }

    [TestMethod]
    public void APathColumnSaysToLoadTheBytes()
    {
        var data = MLContext.Data.LoadFromEnumerable(new[] { new { Label = 1u, ImageSource = "cat.png" } });

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        StringAssert.Contains(e.Message, "load the image files' bytes");
    }

    [TestMethod]
    public void AnEmptyImageNamesItsRow()
    {
        var images = TestImages.Images(3, 1);
        images[4].ImageSource = [];

        var e = Assert.ThrowsExactly<InvalidImageException>(() => Trainer().Fit(Keyed(images)));
        StringAssert.Contains(e.Message, "Row 4 ");
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void AnUndecodableImageNamesItsRowUnlessSkipped()
    {
        var images = TestImages.Images(3, 1);
        images[5].ImageSource = images[5].ImageSource[..40];

        var e = Assert.ThrowsExactly<InvalidImageException>(() => Trainer().Fit(Keyed(images)));
        var skipping = TestImages.FastOptions();
        skipping.Training = skipping.Training with { SkipInvalidImages = true, Epochs = 1 };
        var skipped = MLContext.MulticlassClassification.Trainers.NFNet(skipping).Fit(Keyed(images)).Model;

        StringAssert.Contains(e.Message, "Row 5 ");
        StringAssert.Contains(e.Message, "SkipInvalidImages");
    }

    [TestMethod]
    public void ATruncatedTiffNamesItsRow()
    {
        // ImageSharp 2.1 would decode the missing strip as black; the decoder must say the file is truncated.
        var images = TestImages.Images(3, 1);
        var tiff = Preprocessing.HandWrittenTiff.Write(new Preprocessing.TiffPage(32, 32, 3, 8, new ushort[32 * 32 * 3]));
        images[2].ImageSource = tiff[..^100];

        var e = Assert.ThrowsExactly<InvalidImageException>(() => Trainer().Fit(Keyed(images)));
        StringAssert.Contains(e.Message, "Row 2 ");
        StringAssert.Contains(e.Message, "TIFF image data is truncated");
    }

    [TestMethod]
    public void AnImageOverThePixelLimitNamesItsRow()
    {
        var options = TestImages.FastOptions();
        options.Training = options.Training with { Preprocessing = options.Training.Preprocessing with { MaxImagePixels = 32 * 32 - 1 } };

        var e = Assert.ThrowsExactly<InvalidImageException>(() =>
            MLContext.MulticlassClassification.Trainers.NFNet(options).Fit(Keyed(TestImages.Images(2, 1))));
        StringAssert.Contains(e.Message, "Row 0 ");
        StringAssert.Contains(e.Message, "MaxImagePixels");
    }

    [TestMethod]
    [DataRow(nameof(NFNetTrainingOptions.BatchSize))]
    [DataRow(nameof(NFNetTrainingOptions.MicroBatchSize))]
    [DataRow(nameof(NFNetOptimizerOptions.LearningRate))]
    [DataRow(nameof(ImagePreprocessingOptions.ImageSize))]
    [DataRow(nameof(NFNetTrainingOptions.Epochs))]
    [DataRow(nameof(NFNetImageClassificationTrainer.Options.ValidationSetFraction))]
    public void OutOfRangeOptionsAreNamed(string name)
    {
        var options = TestImages.FastOptions();
        switch (name)
        {
            case nameof(NFNetTrainingOptions.BatchSize): options.Training = options.Training with { BatchSize = 0 }; break;
            case nameof(NFNetTrainingOptions.MicroBatchSize): options.Training = options.Training with { MicroBatchSize = 0 }; break;
            case nameof(NFNetOptimizerOptions.LearningRate):
                options.Training = options.Training with { Optimizer = new() { LearningRate = -0.1 } };
                break;
            case nameof(ImagePreprocessingOptions.ImageSize):
                var tooSmall = NFNetImageClassificationTrainer.DefaultArchitecture.MinimumImageSize - 1;
                options.Training = options.Training with { Preprocessing = new() { ImageSize = tooSmall } };
                break;
            case nameof(NFNetTrainingOptions.Epochs): options.Training = options.Training with { Epochs = 0 }; break;
            case nameof(options.ValidationSetFraction): options.ValidationSetFraction = 1; break;
        }

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MLContext.MulticlassClassification.Trainers.NFNet(options));
        Assert.AreEqual(name, e.ParamName);
    }

    private static NFNetImageClassificationTrainer Trainer(string featureColumnName = nameof(ModelInput.ImageSource)) =>
        MLContext.MulticlassClassification.Trainers.NFNet(TestImages.FastOptions(featureColumnName));

    private static IDataView Data(IEnumerable<ModelInput> images) => MLContext.Data.LoadFromEnumerable(images);

    private static IDataView Keyed(IEnumerable<ModelInput> images)
    {
        var data = Data(images);
        return MLContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>Adds an MLImage column "Image" decoded from ImageSource.</summary>
    private sealed class CustomImageColumn
    {
        public IDataView Transform(IDataView data)
        {
            var mapping = MLContext.Transforms.CustomMapping<ImageInput, ImageOutput>(
                (input, output) => output.Image = MLImage.CreateFromStream(new MemoryStream(input.ImageSource)), contractName: null);
            return mapping.Fit(data).Transform(data);
        }
    }

    private sealed class ImageOutput
    {
        [ImageType(32, 32)]
        public MLImage? Image { get; set; }
    }
}

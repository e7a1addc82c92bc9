using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// <c>mlContext.Transforms.NFNetFeaturizeImage</c>: the pooled features of each image, from a weights file, a model zip
/// or a published name; in batches; into any ML.NET trainer; saved and loaded in a fresh process; bad weights strings
/// rejected with a clear error.
/// </summary>
[TestClass]
public class FeaturizerTests
{
    private const float Tolerance = 1e-5f;

    [TestMethod]
    [DataRow("forward_l0_b")]
    [DataRow("forward_dm_a")]
    public void FeaturesAreForwardFeaturesOfTheTimmFixtureWeights(string fixture)
    {
        var mlContext = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        var sidecar = FixtureSidecar.Read(fixture);
        using var reference = sidecar.CreateModel();
        reference.eval();
        var preprocessing = new ImagePreprocessingOptions { ImageSize = 64 };
        // A featurizer zip holding the fixture network, as mlContext.Model.Save of a featurizer pipeline writes it.
        var zip = folder.File("fixture-featurizer.zip");
        using (var featurizer = new NFNetImageFeaturizer((IHostEnvironment)mlContext, sidecar.CreateModel(), preprocessing, "F", "ImageSource", 32, null))
            mlContext.Model.Save(featurizer, Images(1).Schema, zip);
        var images = TestImages.Images(perClass: 3, seed: 8).Select(i => i.ImageSource).ToArray();
        float[][] expected;
        using (no_grad())
        using (var batch = new ImageBatcher(preprocessing).CreateEvaluationBatch(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray()))
        using (var pooled = reference.ForwardFeatures(batch))
            expected = Enumerable.Range(0, images.Length).Select(i => pooled[i].data<float>().ToArray()).ToArray();

        var estimator = mlContext.Transforms.NFNetFeaturizeImage("Features", "ImageSource", zip);
        var data = Images(images);
        var features = estimator.Fit(data).Transform(data).GetColumn<float[]>("Features").ToArray();

        Assert.AreEqual(reference.NumFeatures, estimator.Fit(data).FeatureCount);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.HasCount(reference.NumFeatures, features[i]);
            for (var f = 0; f < features[i].Length; f++)
                Assert.AreEqual(expected[i][f], features[i][f], Tolerance * Math.Max(1, Math.Abs(expected[i][f])), $"image {i}, feature {f}");
        }
        Assert.IsGreaterThan(1e-3, features.Select(f => f.Max() - f.Min()).Min(), "features are not constant");
    }

    [TestMethod]
    public void ASafetensorsFileOfAKnownVariantIsRecognisedAndFeaturizedInBatches()
    {
        var mlContext = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        manual_seed(3);
        using var reference = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), numClasses: 5);
        reference.eval();
        var path = folder.File("tiny.safetensors");
        reference.SaveWeights(path);
        var images = TestImages.Images(perClass: 3, seed: 9).Select(i => i.ImageSource).ToArray();

        var featurizer = mlContext.Transforms.NFNetFeaturizeImage(new NFNetImageFeaturizerEstimator.Options
        {
            OutputColumnName = "Features",
            InputColumnName = "ImageSource",
            Weights = path,
            ScoringBatchSize = 4,
            ImageSize = 64,
        }).Fit(Images(images));
        var batches = new List<long>();
        float[][] features;
        using (BatchedTransformTests.ForwardBatchSizes(featurizer.Network.Model, batches))
            features = featurizer.Transform(Images(images)).GetColumn<float[]>("Features").ToArray();
        float[][] expected;
        using (no_grad())
        using (var batch = new ImageBatcher(featurizer.Preprocessing).CreateEvaluationBatch(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray()))
        using (var pooled = reference.ForwardFeatures(batch))
            expected = Enumerable.Range(0, images.Length).Select(i => pooled[i].data<float>().ToArray()).ToArray();

        Assert.AreEqual("nfnet_tiny", featurizer.Architecture.Name);
        Assert.AreEqual(64, featurizer.Preprocessing.ScoringSize);
        CollectionAssert.AreEqual(new long[] { 4, 4, 1 }, batches.ToArray());
        for (var i = 0; i < images.Length; i++)
            for (var f = 0; f < features[i].Length; f++)
                Assert.AreEqual(expected[i][f], features[i][f], Tolerance * Math.Max(1, Math.Abs(expected[i][f])), $"image {i}, feature {f}");
    }

    [TestMethod]
    public void FeaturizerThenLbfgsMaximumEntropyTrainsSavesLoadsInAFreshProcessAndPredicts()
    {
        var mlContext = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        // The backbone: an NFNet classifier trained on the colours, saved as an application would.
        var classifier = TestImages.Train(mlContext, out var classifierSchema);
        var classifierZip = folder.File("classifier.zip");
        mlContext.Model.Save(classifier, classifierSchema, classifierZip);
        ((IDisposable)classifier).Dispose();

        // Labels keyed beforehand, so the saved model scores rows that have only an image (as the LoadCheck rows do).
        var raw = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 11));
        var train = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var pipeline = mlContext.Transforms.NFNetFeaturizeImage("Features", "ImageSource", classifierZip)
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);
        var test = TestImages.Images(perClass: 3, seed: 12);
        var predicted = TestImages.Score(mlContext, model, test.Select(t => t.ImageSource)).PredictedLabels;
        var modelZip = folder.File("model.zip");
        mlContext.Model.Save(model, train.Schema, modelZip);
        var rowFiles = test.Select((t, i) =>
        {
            var file = folder.File($"row{i}.bin");
            File.WriteAllBytes(file, t.ImageSource);
            return file;
        }).ToArray();

        var fresh = LoadCheckProcess.Run(modelZip, "ImageSource", rowFiles, vectorColumn: "Features");
        var inProcessFeatures = model.Transform(mlContext.Data.LoadFromEnumerable(test)).GetColumn<float[]>("Features").ToArray();

        CollectionAssert.AreEqual(test.Select(t => t.Label).ToArray(), predicted, "LbfgsMaximumEntropy on NFNet features");
        CollectionAssert.Contains(fresh.TransformerTypes, nameof(NFNetImageFeaturizer));
        CollectionAssert.AreEqual(predicted, fresh.PredictedLabels, "predictions in a fresh process");
        for (var i = 0; i < test.Length; i++)
            CollectionAssert.AreEqual(inProcessFeatures[i], fresh.Scores[i], $"row {i}: features in a fresh process");
    }

    [TestMethod]
    public void WithInvalidImageColumnNameABadImageGetsNaNFeaturesAndAFlag()
    {
        var mlContext = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        var path = folder.File("tiny.safetensors");
        using (var model = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), numClasses: 2))
            model.SaveWeights(path);
        var images = TestImages.Images(perClass: 1, seed: 9).Select(i => i.ImageSource).ToArray();
        images[1] = TestImages.Undecodable(1);

        var strict = mlContext.Transforms.NFNetFeaturizeImage("Features", "ImageSource", path).Fit(Images(images));
        var tolerant = mlContext.Transforms.NFNetFeaturizeImage(new NFNetImageFeaturizerEstimator.Options
        {
            Weights = path,
            ImageSize = 32,
            InvalidImageColumnName = "Invalid",
        }).Fit(Images(images));
        var error = Assert.ThrowsExactly<InvalidImageException>(() => strict.Transform(Images(images)).GetColumn<float[]>("Features").ToArray());
        var scored = tolerant.Transform(Images(images));
        var features = scored.GetColumn<float[]>("Features").ToArray();
        var flags = scored.GetColumn<bool>("Invalid").ToArray();

        StringAssert.StartsWith(error.Message, "Row 1 ('ImageSource' column): ");
        CollectionAssert.AreEqual(new[] { false, true, false }, flags);
        Assert.IsTrue(features[1].All(float.IsNaN));
        Assert.IsTrue(features[0].Concat(features[2]).All(float.IsFinite));
    }

    [TestMethod]
    public void BadWeightsStringsAreRejectedWithAClearError()
    {
        var mlContext = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        NFNetImageFeaturizerEstimator Featurize(string weights) => mlContext.Transforms.NFNetFeaturizeImage("F", "ImageSource", weights);

        var empty = Assert.ThrowsExactly<ArgumentException>(() => Featurize(" "));
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => Featurize("eca_nfnet_l9.nonsense"));
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => Featurize(folder.File("missing.safetensors")));

        var text = folder.File("notes.safetensors");
        File.WriteAllText(text, "these are not weights");
        var notSafetensors = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(text));

        var truncated = folder.File("truncated.safetensors");
        using (var tiny = new NFNetModel(NFNetConfig.Variant("nfnet_tiny"), numClasses: 3))
            tiny.SaveWeights(truncated);
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..^1000]);
        var truncatedError = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(truncated));

        var custom = folder.File("custom.safetensors");
        using (var light = new NFNetModel(TinyConfigs.Light, numClasses: 3))
            light.SaveWeights(custom);
        var unknownArchitecture = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(custom));

        var otherPipeline = folder.File("keys.zip");
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(1, 1));
        mlContext.Model.Save(mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data), data.Schema, otherPipeline);
        var noNFNet = Assert.ThrowsExactly<ArgumentException>(() => Featurize(otherPipeline));

        var plainZip = folder.File("plain.zip");
        using (var archive = ZipFile.Open(plainZip, ZipArchiveMode.Create))
            archive.CreateEntry("readme.txt");
        var notAModel = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(plainZip));

        StringAssert.Contains(empty.Message, "empty");
        StringAssert.Contains(unknown.Message, "'eca_nfnet_l9.nonsense'");
        StringAssert.Contains(unknown.Message, "eca_nfnet_l0.ra2_in1k");
        StringAssert.Contains(missing.Message, "does not exist");
        StringAssert.Contains(missing.Message, folder.File("missing.safetensors"));
        StringAssert.Contains(notSafetensors.Message, "notes.safetensors");
        StringAssert.Contains(truncatedError.Message, "truncated.safetensors");
        StringAssert.Contains(unknownArchitecture.Message, "fits none of the known NFNet architectures");
        StringAssert.Contains(unknownArchitecture.Message, "The closest is ");
        StringAssert.Contains(noNFNet.Message, "holds no NFNet model");
        StringAssert.Contains(noNFNet.Message, "ValueToKeyMappingTransformer");
        StringAssert.Contains(notAModel.Message, "not an ML.NET model");
    }

    private static IDataView Images(params byte[][] images) =>
        new MLContext().Data.LoadFromEnumerable(images.Select(i => new ImageInput { ImageSource = i }));

    private static IDataView Images(int count) => Images(TestImages.Images(1, 1).Take(count).Select(i => i.ImageSource).ToArray());

    private sealed class TemporaryDirectory : IDisposable
    {
        private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("nfnet-featurizer-");

        public string File(string name) => Path.Combine(directory.FullName, name);

        public void Dispose() => directory.Delete(recursive: true);
    }
}

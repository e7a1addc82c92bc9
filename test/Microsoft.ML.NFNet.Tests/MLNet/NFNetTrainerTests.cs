using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>The NFNet trainer behaves like an ML.NET multiclass trainer.</summary>
[TestClass]
public class NFNetTrainerTests
{
    [TestMethod]
    public void ModelBuilderPipelineTrainsEvaluatesAndPredicts()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 4, seed: 1));
        // Model Builder's generated pipeline with the trainer name changed; default options but fewer epochs.
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey(@"Label", @"Label", addKeyValueAnnotationsAsText: false)
            .Append(mlContext.MulticlassClassification.Trainers.NFNet(labelColumnName: @"Label", scoreColumnName: @"Score", featureColumnName: @"ImageSource"))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(@"PredictedLabel", @"PredictedLabel"));

        var model = pipeline.Fit(train);
        var test = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 10, seed: 3));
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test), labelColumnName: "Label");
        using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        var output = engine.Predict(TestImages.Images(perClass: 1, seed: 2)[0]);
        var labels = SortedScoresWithLabels(engine.OutputSchema, output);

        // Solid red, green and blue images with noise: chance is 1/3, the automatic settings learn them.
        Assert.IsGreaterThanOrEqualTo(0.9, metrics.MicroAccuracy, "accuracy on 30 unseen images");
        Assert.HasCount(3, output.Score);
        Assert.AreEqual(1f, output.Score.Sum(), 1e-5f);
        CollectionAssert.AreEquivalent(TestImages.Classes, labels.Select(l => l.Label).ToArray());
        CollectionAssert.Contains(TestImages.Classes, output.PredictedLabel);
        Assert.AreEqual(labels[0].Label, output.PredictedLabel);
    }

    [TestMethod]
    public void TheShortOverloadTakesTheWeightsAndTheTimeToTrain()
    {
        var trainers = new MLContext().MulticlassClassification.Trainers;
        var weights = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.NFNet("Label", "ImageSource", pretrainedWeights: " "));
        StringAssert.Contains(weights.Message, "PretrainedWeights");
        var time = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainers.NFNet("Label", "ImageSource", maxTrainingTime: TimeSpan.Zero));
        StringAssert.Contains(time.Message, "MaxTrainingTime");
    }

    [TestMethod]
    public void LearnsColoursAndScoresTransformPredictionEngineAndBatchesAlike()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        var test = TestImages.Images(perClass: 3, seed: 2);

        var (scores, predicted) = TestImages.Score(mlContext, model, test.Select(i => i.ImageSource));
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model);
        var engineScores = test.Select(i => engine.Predict(new ImageInput { ImageSource = i.ImageSource }).Score).ToArray();
        var images = test.Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();
        // Transform scores in batches of ScoringBatchSize, so it runs exactly the forward passes of these calls.
        var sameBatches = parameters.PredictProbabilities(images, TestImages.Scorer(model).BatchSize);
        var otherBatches = parameters.PredictProbabilities(images, batchSize: 4);

        CollectionAssert.AreEqual(test.Select(i => i.Label).ToArray(), predicted);
        for (var i = 0; i < test.Length; i++)
        {
            CollectionAssert.AreEqual(sameBatches[i], scores[i], $"row {i}: Transform and PredictProbabilities differ");
            for (var c = 0; c < scores[i].Length; c++)
            {
                Assert.AreEqual(scores[i][c], engineScores[i][c], 1e-5f, $"row {i}: Transform and PredictionEngine differ");
                Assert.AreEqual(scores[i][c], otherBatches[i][c], 1e-5f, $"row {i}: batches of 4 differ");
            }
        }
        Assert.AreEqual(3, parameters.ClassCount);
        Assert.AreEqual(32, parameters.Preprocessing.ImageSize);
        Assert.AreEqual("nfnet_tiny", parameters.Architecture.Name);
    }

    [TestMethod]
    public void ParallelPredictionEnginesFromOneModelAgreeWithASequentialOne()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        var images = TestImages.Images(perClass: 4, seed: 3).Select(i => new ImageInput { ImageSource = i.ImageSource }).ToArray();
        float[][] expected;
        // Engines that share the model are created not owning it: disposing one must not free the model of the others.
        var sharing = new PredictionEngineOptions { OwnsTransformer = false };
        using (var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, sharing))
            expected = images.Select(i => engine.Predict(i).Score).ToArray();

        // One engine per thread, as PredictionEnginePool hands them out; each thread scores every image several times.
        var results = new float[4][][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, t =>
        {
            using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, sharing);
            results[t] = Enumerable.Range(0, 3).SelectMany(_ => images).Select(i => engine.Predict(i).Score.ToArray()).ToArray();
        });

        foreach (var result in results)
        {
            for (var i = 0; i < result.Length; i++)
                CollectionAssert.AreEqual(expected[i % images.Length], result[i], $"image {i % images.Length}");
        }
    }

    [TestMethod]
    public void DisposingANonOwningEngineLeavesTheModelUsableAndAnOwningOneFreesIt()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var image = new ImageInput { ImageSource = TestImages.Images(1, 1)[0].ImageSource };
        float[] first;
        using (var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false }))
            first = engine.Predict(image).Score.ToArray();
        float[] second;
        // ML.NET's default: the engine owns the transformer and disposes it with itself.
        using (var owning = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model))
            second = owning.Predict(image).Score.ToArray();

        var e = Assert.ThrowsExactly<ObjectDisposedException>(() => mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model));
        CollectionAssert.AreEqual(first, second, "an engine after a non-owning one was disposed");
        StringAssert.Contains(e.Message, "OwnsTransformer = false");
    }

    // What Model Builder's generated GetSortedScoresWithLabels does: the Score slot names are the class names.
    private static (string Label, float Score)[] SortedScoresWithLabels(DataViewSchema schema, ModelOutput output)
    {
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        schema["Score"].GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).Zip(output.Score).OrderByDescending(p => p.Second).ToArray();
    }
}

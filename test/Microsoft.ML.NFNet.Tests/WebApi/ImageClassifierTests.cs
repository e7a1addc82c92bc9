using Microsoft.Extensions.ObjectPool;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>The server's model holder without HTTP: labels from the Score slot names, the pooled engines, errors.</summary>
[TestClass]
public class ImageClassifierTests
{
    [TestMethod]
    public void LabelsAreTheScoreColumnsSlotNames()
    {
        using var classifier = ImageClassifier.Load(SavedModelFiles.ModelPath);

        CollectionAssert.AreEqual(SavedModelFiles.ClassNames, classifier.Labels.ToArray());
    }

    [TestMethod]
    public void ABadImageSurfacesAsTheDecodersExceptionAndTheEngineKeepsWorking()
    {
        using var classifier = ImageClassifier.Load(SavedModelFiles.ModelPath);
        var expected = SavedModelFiles.ReadExpected();

        // PredictionEngine.Predict does not wrap what the scorer throws, so the decoder's message reaches the client.
        var e = Assert.ThrowsExactly<InvalidImageException>(() => classifier.Score([1, 2, 3]));
        var scores = classifier.Score(SavedModelFiles.Image(0));

        StringAssert.Contains(e.Message, "not an image");
        for (var c = 0; c < scores.Length; c++)
            Assert.AreEqual(expected.Scores[0][c], scores[c], 1e-5f);
    }

    [TestMethod]
    public void EnginesThePoolHasNoRoomForAreDisposedWithoutFreeingTheSharedModel()
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(SavedModelFiles.ModelPath, out _);
        var expected = SavedModelFiles.ReadExpected();
        // The pool the server makes, keeping two engines: returning six disposes four of them.
        var pool = new DefaultObjectPoolProvider { MaximumRetained = 2 }.Create(new PredictionEnginePolicy(mlContext, model));
        var engines = Enumerable.Range(0, 6).Select(_ => pool.Get()).ToArray();
        foreach (var engine in engines)
            pool.Return(engine);

        var scores = pool.Get().Predict(new ModelInput { ImageSource = SavedModelFiles.Image(0) }).Score;

        for (var c = 0; c < scores.Length; c++)
            Assert.AreEqual(expected.Scores[0][c], scores[c], 1e-5f);
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void ScoringFromManyThreadsGivesTheSavedScores()
    {
        using var classifier = ImageClassifier.Load(SavedModelFiles.ModelPath);
        var expected = SavedModelFiles.ReadExpected();
        var images = Enumerable.Range(0, 3).Select(SavedModelFiles.Image).ToArray();
        var results = new float[30][];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => results[i] = classifier.Score(images[i % 3]));

        for (var i = 0; i < results.Length; i++)
            for (var c = 0; c < 3; c++)
                Assert.AreEqual(expected.Scores[i % 3][c], results[i][c], 1e-5f, $"call {i}, class {c}");
    }
}

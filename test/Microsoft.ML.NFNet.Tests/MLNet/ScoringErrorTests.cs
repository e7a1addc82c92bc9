using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Scoring an <c>IDataView</c> with a bad image: by default the error names the row (not ML.NET's generic splitter
/// message) and the rows before it are served; with <c>InvalidImageColumnName</c> set, the bad rows get NaN scores and a
/// flag. Disposing the model frees it, and every later use says so.
/// </summary>
[TestClass]
public class ScoringErrorTests
{
    [TestMethod]
    [DataRow(0, "empty")]
    [DataRow(1, "PNG")]
    [DataRow(2, "not an image")]
    public void ABadImageFailsTheModelBuilderPipelinesTransformNamingItsRow(int kind, string detail)
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _, options => options.ScoringBatchSize = 4);
        var images = Rows(8);
        images[5].ImageSource = TestImages.Undecodable(kind);

        // MapKeyToValue after the scorer: ML.NET would read the scorer on a worker thread and wrap what it throws.
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(images));
        var e = Assert.ThrowsExactly<InvalidImageException>(() => scored.GetColumn<string>("PredictedLabel").ToArray());

        StringAssert.StartsWith(e.Message, "Row 5 ('ImageSource' column): ");
        StringAssert.Contains(e.Message, detail);
        StringAssert.Contains(e.Message, "InvalidImageColumnName");
    }

    [TestMethod]
    public void TheRowsBeforeABadImageAreServedWithTheirScores()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _, options => options.ScoringBatchSize = 4);
        var parameters = TestImages.Parameters(model);
        var images = Rows(8);
        images[6].ImageSource = TestImages.Undecodable(1);
        var expected = parameters.PredictProbabilities(images.Take(6).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray());

        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(images));
        using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        var getScore = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> score = default;
        for (var row = 0; row < 6; row++)
        {
            Assert.IsTrue(cursor.MoveNext());
            getScore(ref score);
            for (var c = 0; c < 3; c++)
                Assert.AreEqual(expected[row][c], score.GetItemOrDefault(c), 1e-5f, $"row {row}, class {c}");
        }
        Assert.IsTrue(cursor.MoveNext());
        var e = Assert.ThrowsExactly<InvalidImageException>(() => getScore(ref score));
        StringAssert.StartsWith(e.Message, "Row 6 ");
    }

    [TestMethod]
    public void EvaluateOverDataWithABadImageNamesTheRow()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var test = TestImages.Images(perClass: 3, seed: 3);
        test[2].ImageSource = TestImages.Undecodable(2);
        var data = mlContext.Data.LoadFromEnumerable(test);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

        var e = Assert.ThrowsExactly<InvalidImageException>(() => mlContext.MulticlassClassification.Evaluate(model.Transform(keyed)));
        StringAssert.StartsWith(e.Message, "Row 2 ");
    }

    [TestMethod]
    public void WithInvalidImageColumnNameBadRowsGetNaNScoresAMissingLabelAndAFlag()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _, options =>
        {
            options.ScoringBatchSize = 4;
            options.InvalidImageColumnName = "InvalidImage";
        });
        var parameters = TestImages.Parameters(model);
        var images = Rows(9);
        int[] bad = [1, 4, 8];
        for (var k = 0; k < bad.Length; k++)
            images[bad[k]].ImageSource = TestImages.Undecodable(k);
        var good = Enumerable.Range(0, images.Length).Except(bad).ToArray();
        var expected = parameters.PredictProbabilities(good.Select(i => (ReadOnlyMemory<byte>)images[i].ImageSource).ToArray());

        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(images));
        var rows = mlContext.Data.CreateEnumerable<FlaggedOutput>(scored, reuseRowObject: false).ToArray();

        Assert.AreEqual(BooleanDataViewType.Instance, scored.Schema["InvalidImage"].Type);
        for (var i = 0; i < images.Length; i++)
        {
            if (bad.Contains(i))
            {
                Assert.IsTrue(rows[i].InvalidImage, $"row {i}");
                Assert.IsTrue(rows[i].Score.All(float.IsNaN), $"row {i}: scores");
                Assert.AreEqual("", rows[i].PredictedLabel, $"row {i}: a missing key maps to the empty string");
                continue;
            }
            var g = Array.IndexOf(good, i);
            Assert.IsFalse(rows[i].InvalidImage, $"row {i}");
            for (var c = 0; c < 3; c++)
                Assert.AreEqual(expected[g][c], rows[i].Score[c], 1e-5f, $"row {i}, class {c}");
            Assert.AreEqual(TestImages.Classes[Array.IndexOf(expected[g], expected[g].Max())], rows[i].PredictedLabel, $"row {i}");
        }
    }

    [TestMethod]
    public void WithInvalidImageColumnNameAnEngineFlagsABadImageAndTheSettingSurvivesSaveAndLoad()
    {
        var mlContext = new MLContext(seed: 1);
        var trained = TestImages.Train(mlContext, out var schema, options => options.InvalidImageColumnName = "InvalidImage");
        using var stream = new MemoryStream();
        mlContext.Model.Save(trained, schema, stream);
        stream.Position = 0;
        var model = mlContext.Model.Load(stream, out _);
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, FlaggedOutput>(model);

        var bad = engine.Predict(new ImageInput { ImageSource = TestImages.Undecodable(1) });
        var good = engine.Predict(new ImageInput { ImageSource = TestImages.Images(1, 2)[0].ImageSource });

        Assert.IsTrue(bad.InvalidImage);
        Assert.IsTrue(bad.Score.All(float.IsNaN));
        Assert.AreEqual("", bad.PredictedLabel);
        Assert.IsFalse(good.InvalidImage);
        Assert.AreEqual(1f, good.Score.Sum(), 1e-5f);
        Assert.AreEqual("red", good.PredictedLabel);
    }

    [TestMethod]
    public void WithoutTheOptionAnEngineThrowsTheDecodersErrorForOneImage()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model);

        var e = Assert.ThrowsExactly<InvalidImageException>(() => engine.Predict(new ImageInput { ImageSource = TestImages.Undecodable(2) }));
        var after = engine.Predict(new ImageInput { ImageSource = TestImages.Images(1, 2)[0].ImageSource });

        StringAssert.StartsWith(e.Message, "The image in the 'ImageSource' column: ");
        StringAssert.Contains(e.Message, "not an image");
        Assert.AreEqual("red", after.PredictedLabel);
    }

    [TestMethod]
    public void DisposingTheModelFreesItsWeightsAndEveryLaterUseSaysSo()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        var weights = parameters.Model.parameters().ToArray();
        var image = new ImageInput { ImageSource = TestImages.Images(1, 2)[0].ImageSource };
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false });
        var data = mlContext.Data.LoadFromEnumerable(new[] { image });
        var scoredBefore = model.Transform(data);
        Assert.HasCount(3, engine.Predict(image).Score);

        ((IDisposable)model).Dispose();

        Assert.IsTrue(weights.All(w => w.IsInvalid), "every weight tensor's native memory is released");
        var fromEngine = Assert.ThrowsExactly<ObjectDisposedException>(() => engine.Predict(image));
        Assert.ThrowsExactly<ObjectDisposedException>(() => mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model));
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(data));
        Assert.ThrowsExactly<ObjectDisposedException>(() => scoredBefore.GetColumn<float[]>("Score").ToArray());
        Assert.ThrowsExactly<ObjectDisposedException>(() => parameters.PredictProbabilities([image.ImageSource]));
        Assert.ThrowsExactly<ObjectDisposedException>(() => mlContext.Model.Save(model, data.Schema, new MemoryStream()));
        StringAssert.Contains(fromEngine.Message, "disposed");
        ((IDisposable)model).Dispose(); // a second call does nothing
    }

    [TestMethod]
    public void DisposingAModelSavedByAnEarlierVersionFreesItToo()
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-2", "model.zip"), out _);
        var parameters = ((IEnumerable<ITransformer>)model).OfType<MulticlassPredictionTransformer<NFNetModelParameters>>().Single().Model;
        var weights = parameters.Model.parameters().ToArray();

        ((IDisposable)model).Dispose();

        Assert.IsTrue(weights.All(w => w.IsInvalid));
        Assert.ThrowsExactly<ObjectDisposedException>(() => parameters.PredictProbabilities([TestImages.Images(1, 1)[0].ImageSource]));
    }

    private static ModelInput[] Rows(int count) => TestImages.Images(perClass: (count + 2) / 3, seed: 6).Take(count).ToArray();

    private sealed class FlaggedOutput
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
        public bool InvalidImage { get; set; }
    }
}

using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// <c>Transform</c> of the trained model scores a batch of rows per forward pass and serves the rows in their order,
/// with the columns and annotations of ML.NET's own multiclass scorer; <c>PredictionEngine</c> and <c>CrossValidate</c>
/// keep working.
/// </summary>
[TestClass]
public class BatchedTransformTests
{
    [TestMethod]
    public void TransformScoresBatchSizeImagesPerForwardPassAndAnEngineOne()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _, options => options.ScoringBatchSize = 4);
        var images = TestImages.Images(perClass: 3, seed: 2).Select(i => new ImageInput { ImageSource = i.ImageSource }).ToArray();
        var batches = new List<long>();
        using var hook = ForwardBatchSizes(TestImages.Parameters(model).Model, batches);

        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(images));
        var labels = scored.GetColumn<string>("PredictedLabel").ToArray();
        var transformBatches = batches.ToArray();
        batches.Clear();
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model);
        var prediction = engine.Predict(images[0]);

        CollectionAssert.AreEqual(new long[] { 4, 4, 1 }, transformBatches, "9 rows at batch size 4");
        CollectionAssert.AreEqual(new long[] { 1 }, batches.ToArray(), "one Predict reads Score and PredictedLabel: one forward pass");
        Assert.AreEqual(labels[0], prediction.PredictedLabel);
    }

    [TestMethod]
    public void RowsComeBackInOrderWithEveryPassThroughColumnAndTheirIds()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _, options => options.ScoringBatchSize = 3);
        var parameters = TestImages.Parameters(model);
        var rows = TestImages.Images(perClass: 4, seed: 5).Select((image, i) => new RichRow
        {
            Id = i,
            Name = $"row-{i}",
            Weights = [i, i * 0.5f, -i],
            ImageSource = image.ImageSource,
        }).ToArray();
        var input = mlContext.Data.LoadFromEnumerable(rows);

        var scored = model.Transform(input);
        var back = mlContext.Data.CreateEnumerable<RichScoredRow>(scored, reuseRowObject: false).ToArray();
        var expected = parameters.PredictProbabilities(rows.Select(r => (ReadOnlyMemory<byte>)r.ImageSource).ToArray(), batchSize: 3);
        var inputIds = Ids(input);
        var scoredIds = Ids(scored);

        Assert.HasCount(rows.Length, back);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.AreEqual(rows[i].Id, back[i].Id, $"row {i}");
            Assert.AreEqual(rows[i].Name, back[i].Name, $"row {i}");
            CollectionAssert.AreEqual(rows[i].Weights, back[i].Weights, $"row {i}");
            CollectionAssert.AreEqual(rows[i].ImageSource, back[i].ImageSource, $"row {i}");
            CollectionAssert.AreEqual(expected[i], back[i].Score, $"row {i}: the scores of its own image");
            Assert.AreEqual(TestImages.Classes[ArgMax(expected[i])], back[i].PredictedLabel, $"row {i}");
        }
        CollectionAssert.AreEqual(inputIds, scoredIds, "row ids are the input's");
    }

    [TestMethod]
    public void ScoreAndPredictedLabelCarryTheAnnotationsOfMLNetsMulticlassScorer()
    {
        // A model saved by the previous version holds ML.NET's own MulticlassPredictionTransformer over the same classes.
        var mlContext = new MLContext(seed: 1);
        var earlier = mlContext.Model.Load(Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-2", "model.zip"), out _);
        var mlnetScorer = ((IEnumerable<ITransformer>)earlier).OfType<MulticlassPredictionTransformer<NFNetModelParameters>>().Single();
        var ours = TestImages.Scorer(TestImages.Train(mlContext, out _));
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 1, seed: 3).Select(i => new ImageInput { ImageSource = i.ImageSource }));

        var expected = mlnetScorer.Transform(data).Schema;
        var actual = ours.Transform(data).Schema;

        foreach (var name in new[] { "Score", "PredictedLabel" })
        {
            Assert.AreEqual(expected[name].Type, actual[name].Type, name);
            CollectionAssert.AreEqual(Annotations(expected[name]), Annotations(actual[name]), $"annotations of {name}");
        }
        Assert.IsNotEmpty(Annotations(actual["Score"]));
        CollectionAssert.AreEqual(Visible(expected), Visible(actual), "the visible columns");
    }

    [TestMethod]
    public void CrossValidateTrainsAndEvaluatesEveryFold()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 4, seed: 1));
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.NFNet(TestImages.FastOptions()));

        var folds = mlContext.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 2, labelColumnName: "Label");

        Assert.HasCount(2, folds);
        foreach (var fold in folds)
        {
            Assert.IsTrue(fold.Metrics.MicroAccuracy is >= 0 and <= 1, $"fold {fold.Fold}");
            Assert.IsTrue(double.IsFinite(fold.Metrics.LogLoss), $"fold {fold.Fold}: log-loss {fold.Metrics.LogLoss}");
            Assert.HasCount(1, ((IEnumerable<ITransformer>)fold.Model).OfType<NFNetPredictionTransformer>());
        }
    }

    [TestMethod]
    public void ASavedModelLoadsAsTheBatchingTransformerWithItsSettings()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out var schema, options =>
        {
            options.ScoringBatchSize = 5;
            options.InvalidImageColumnName = "BadImage";
        });
        var images = TestImages.Images(perClass: 2, seed: 4).Select(i => i.ImageSource).ToArray();
        var expected = TestImages.Score(mlContext, model, images);
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, schema, stream);
        stream.Position = 0;

        var loaded = mlContext.Model.Load(stream, out _);
        var scorer = ((IEnumerable<ITransformer>)loaded).OfType<NFNetPredictionTransformer>().Single();
        var actual = TestImages.Score(mlContext, loaded, images);

        Assert.AreEqual(5, scorer.BatchSize);
        Assert.AreEqual("BadImage", scorer.InvalidImageColumnName);
        Assert.AreEqual("ImageSource", scorer.FeatureColumnName);
        for (var i = 0; i < images.Length; i++)
            CollectionAssert.AreEqual(expected.Scores[i], actual.Scores[i], $"row {i}");
        CollectionAssert.AreEqual(expected.PredictedLabels, actual.PredictedLabels);
    }

    /// <summary>Records the batch dimension of every forward pass of <paramref name="model"/> (its stem sees them all).</summary>
    internal static IDisposable ForwardBatchSizes(NFNetModel model, List<long> sizes)
    {
        var stem = (nn.Module<Tensor, Tensor>)model.named_children().Single(c => c.name == "stem").module;
        var remover = stem.register_forward_pre_hook((_, input) =>
        {
            lock (sizes)
                sizes.Add(input.shape[0]);
            return input;
        });
        return new Unhook(remover.remove);
    }

    private sealed class Unhook(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    private static ulong[] Ids(IDataView data)
    {
        var ids = new List<ulong>();
        using var cursor = data.GetRowCursor(data.Schema.Where(c => c.Name == "ImageSource" || c.Name == "Score"));
        var getId = cursor.GetIdGetter();
        DataViewRowId id = default;
        while (cursor.MoveNext())
        {
            getId(ref id);
            ids.Add(id.Low);
        }
        return ids.ToArray();
    }

    private static string[] Visible(DataViewSchema schema) =>
        schema.Where(c => !c.IsHidden).Select(c => $"{c.Name}: {c.Type}").ToArray();

    // Every annotation as "name = value", values read with their own types.
    internal static string[] Annotations(DataViewSchema.Column column) => column.Annotations.Schema.Select(a =>
    {
        var value = a.Type switch
        {
            VectorDataViewType { ItemType: TextDataViewType } => Read<VBuffer<ReadOnlyMemory<char>>>(column, a.Name).DenseValues()
                .Select(v => v.ToString()).Aggregate("", (x, y) => x + "|" + y),
            TextDataViewType => Read<ReadOnlyMemory<char>>(column, a.Name).ToString(),
            KeyDataViewType { RawType: var raw } when raw == typeof(uint) => Read<uint>(column, a.Name).ToString(),
            _ => a.Type.ToString() ?? "",
        };
        return $"{a.Name}: {a.Type} = {value}";
    }).ToArray();

    private static T Read<T>(DataViewSchema.Column column, string name)
    {
        T value = default!;
        column.Annotations.GetValue(name, ref value);
        return value;
    }

    private sealed class RichRow
    {
        public int Id { get; set; }
        public string Name { get; set; } = "";
        [VectorType(3)]
        public float[] Weights { get; set; } = [];
        public byte[] ImageSource { get; set; } = [];
    }

    private sealed class RichScoredRow
    {
        public int Id { get; set; }
        public string Name { get; set; } = "";
        public float[] Weights { get; set; } = [];
        public byte[] ImageSource { get; set; } = [];
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }
}

using Microsoft.ML.Data;
using Microsoft.ML.NFNet.MLNet.Scaffolding;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>The scaffold trainer behaves like an ML.NET multiclass trainer in a Model Builder style pipeline.</summary>
[TestClass]
public class ScaffoldTrainerTests
{
    [TestMethod]
    public void FitEvaluateAndPredictionEngineWorkInAnMLNetPipeline()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromEnumerable(ScaffoldModel.Images(perClass: 10, seed: 1));
        var test = mlContext.Data.LoadFromEnumerable(ScaffoldModel.Images(perClass: 10, seed: 2));
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(ScaffoldModel.Trainer(mlContext));

        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        using var engine = mlContext.Model.CreatePredictionEngine<LabelledImage, Prediction>(model);
        var image = ScaffoldModel.Images(perClass: 1, seed: 3)[2];

        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy);
        CollectionAssert.AreEqual(ScaffoldModel.Classes, slotNames.DenseValues().Select(s => s.ToString()).ToArray());
        Assert.AreEqual(image.Label, engine.Predict(image).PredictedLabel);
    }

    [TestMethod]
    public void RejectsAFeatureColumnThatIsNotBytes()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new { Label = 0u, Image = "not bytes" } });
        var trainer = mlContext.MulticlassClassification.Trainers.ByteHistogramScaffold(featureColumnName: "Image");

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        StringAssert.Contains(e.Message, "vector of Byte");
    }

    private sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
    }
}

using Microsoft.ML.NFNet.Tests.MLNet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>Test-time augmentation: the shifted and mirrored views against a pixel-by-pixel construction, and the
/// model's scores against the mean of its single-view scores.</summary>
[TestClass]
public class TestTimeViewsTests
{
    /// <summary>The image moved by (dx, dy): each output pixel copies the input pixel (x − dx, y − dy), clamped to the
    /// border (so the uncovered edge repeats the border pixels).</summary>
    private static float[,,,] Shifted(float[,,,] x, int dx, int dy)
    {
        int n = x.GetLength(0), c = x.GetLength(1), h = x.GetLength(2), w = x.GetLength(3);
        var y = new float[n, c, h, w];
        for (var i = 0; i < n; i++)
        for (var k = 0; k < c; k++)
        for (var row = 0; row < h; row++)
        for (var col = 0; col < w; col++)
            y[i, k, row, col] = x[i, k, Math.Clamp(row - dy, 0, h - 1), Math.Clamp(col - dx, 0, w - 1)];
        return y;
    }

    private static float[,,,] Mirrored(float[,,,] x)
    {
        int n = x.GetLength(0), c = x.GetLength(1), h = x.GetLength(2), w = x.GetLength(3);
        var y = new float[n, c, h, w];
        for (var i = 0; i < n; i++)
        for (var k = 0; k < c; k++)
        for (var row = 0; row < h; row++)
        for (var col = 0; col < w; col++)
            y[i, k, row, col] = x[i, k, row, w - 1 - col];
        return y;
    }

    private static float[,,,] ToArray(Tensor t)
    {
        var shape = t.shape.Select(d => (int)d).ToArray();
        var data = t.contiguous().data<float>().ToArray();
        var y = new float[shape[0], shape[1], shape[2], shape[3]];
        Buffer.BlockCopy(data, 0, y, 0, data.Length * sizeof(float));
        return y;
    }

    private static Tensor FromArray(float[,,,] x)
    {
        var flat = new float[x.Length];
        Buffer.BlockCopy(x, 0, flat, 0, flat.Length * sizeof(float));
        return tensor(flat, [x.GetLength(0), x.GetLength(1), x.GetLength(2), x.GetLength(3)]);
    }

    [TestMethod]
    public void ViewsAreTheBatchItsFourShiftsAndItsMirror()
    {
        manual_seed(1);
        using var batch = rand(2, 3, 32, 24);
        var x = ToArray(batch);

        var views = TestTimeViews.Of(batch, mirror: true).Select(ToArray).ToArray();

        Assert.AreEqual(2, TestTimeViews.ShiftFor(24), "1/16 of the shorter side");
        float[][,,,] expected = [x, Shifted(x, -2, 0), Shifted(x, 2, 0), Shifted(x, 0, -2), Shifted(x, 0, 2), Mirrored(x)];
        Assert.HasCount(expected.Length, views);
        for (var v = 0; v < views.Length; v++)
            CollectionAssert.AreEqual(expected[v], views[v], $"view {v}");
        Assert.HasCount(5, TestTimeViews.Of(batch, mirror: false).ToArray(), "no mirror for a model trained without flips");
        Assert.AreEqual(1, TestTimeViews.ShiftFor(8));
        Assert.AreEqual(4, TestTimeViews.ShiftFor(64));
    }

    [TestMethod]
    public void ScoringAveragesTheProbabilitiesOfTheViews()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = TestImages.FastOptions();
        options.Training = options.Training with
        {
            Preprocessing = options.Training.Preprocessing with { TestTimeAugmentation = true },
        };
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed);
        var parameters = model.Model;
        var images = TestImages.Images(perClass: 2, seed: 5).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();

        var scores = parameters.PredictProbabilities(images);

        Assert.IsTrue(parameters.Preprocessing.TestTimeAugmentation, "the option is saved with the model");
        using var batch = new ImageBatcher(parameters.Preprocessing).CreateEvaluationBatch(images);
        var x = ToArray(batch);
        float[][,,,] views = [x, Shifted(x, -2, 0), Shifted(x, 2, 0), Shifted(x, 0, -2), Shifted(x, 0, 2)];
        using (no_grad())
        {
            var mean = new double[images.Length, parameters.ClassCount];
            foreach (var view in views)
            {
                using var input = FromArray(view);
                using var p = nn.functional.softmax(parameters.Model.call(input), dim: 1);
                var values = p.data<float>().ToArray();
                for (var i = 0; i < images.Length; i++)
                    for (var c = 0; c < parameters.ClassCount; c++)
                        mean[i, c] += values[i * parameters.ClassCount + c] / views.Length;
            }
            for (var i = 0; i < images.Length; i++)
                for (var c = 0; c < parameters.ClassCount; c++)
                    Assert.AreEqual(mean[i, c], scores[i][c], 1e-5, $"image {i}, class {c}");
        }
    }
}

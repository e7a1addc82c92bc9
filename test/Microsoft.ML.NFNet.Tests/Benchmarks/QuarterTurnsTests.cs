using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Benchmarks.Transfer;
using Microsoft.ML.NFNet.Samples.Transfer;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Benchmarks;

/// <summary>
/// The rotation labels of the transfer demo's pretraining: images turned as a viewer would see them, each (class,
/// turn) a label, and an export that is an ordinary classifier of the upright classes.
/// </summary>
[TestClass]
public class QuarterTurnsTests
{
    // 3 wide, 2 high, two channels per pixel:  a b c
    //                                           d e f
    private static PixelImage Letters => new(3, 2, 2, "aAbBcCdDeEfF"u8.ToArray(), Label: 1);

    [TestMethod]
    public void OneTurnIsAQuarterClockwiseAndFourComeBack()
    {
        var once = QuarterTurns.Rotate(Letters, 1);
        Assert.AreEqual((2, 3), (once.Width, once.Height));
        // Clockwise: the left column, read bottom-up, becomes the top row.
        Assert.AreEqual("dDaAeEbBfFcC", System.Text.Encoding.ASCII.GetString(once.Pixels));
        Assert.AreEqual("fFeEdDcCbBaA", System.Text.Encoding.ASCII.GetString(QuarterTurns.Rotate(Letters, 2).Pixels));
        Assert.AreEqual("cCfFbBeEaAdD", System.Text.Encoding.ASCII.GetString(QuarterTurns.Rotate(Letters, 3).Pixels));
        var back = QuarterTurns.Rotate(QuarterTurns.Rotate(once, 1), 2);
        CollectionAssert.AreEqual(Letters.Pixels, back.Pixels);
        Assert.AreEqual((3, 2), (back.Width, back.Height));
    }

    [TestMethod]
    public void EachClassAndTurnIsALabelOfItsOwn()
    {
        var expanded = QuarterTurns.Expand([Letters, Letters with { Label = 0 }]).ToList();
        var names = QuarterTurns.JointNames(["Coat", "Bag"]);

        CollectionAssert.AreEqual(new[] { 4, 5, 6, 7, 0, 1, 2, 3 }, expanded.Select(i => i.Label).ToArray());
        CollectionAssert.AreEqual(new[] { "Coat 0°", "Coat 90°", "Coat 180°", "Coat 270°", "Bag 0°", "Bag 90°", "Bag 180°", "Bag 270°" }, names);
        CollectionAssert.AreEqual(QuarterTurns.Rotate(Letters, 3).Pixels, expanded[3].Pixels);
    }

    [TestMethod]
    public void TheExportScoresTheUprightClassesAsTheJointModelDoes()
    {
        string[] classes = ["Coat", "Bag", "Shirt"];
        // A head over the joint labels in another order than JointNames', as MapValueToKey may give it.
        var joint = QuarterTurns.JointNames(classes).Reverse().ToArray();
        var model = new NFNetModel(TinyConfigs.Light, joint.Length); // the parameters own it
        using var parameters = new NFNetModelParameters(new MLContext(seed: 1), model, new ImagePreprocessingOptions { ImageSize = 32 }, joint, null);
        var folder = Path.Combine(Path.GetTempPath(), $"quarter-turns-{Guid.NewGuid():N}");
        try
        {
            var rows = QuarterTurns.UprightRows(joint, classes);
            CollectionAssert.AreEqual(new[] { ("Coat", 11), ("Bag", 7), ("Shirt", 3) }, rows);
            QuarterTurns.ExportUpright(parameters, folder, rows);

            var shape = PretrainedShape.Read(folder);
            Assert.AreEqual(classes.Length, shape.ClassCount);
            using var exported = new NFNetModel(shape.Architecture, shape.ClassCount);
            exported.LoadWeights(Path.Combine(folder, NFNetModelExtensions.TimmWeightsFileName));
            model.eval();
            exported.eval();
            using var images = randn([2, 3, 32, 32], generator: new Generator(7));
            using var all = model.forward(images);
            using var upright = exported.forward(images);
            for (var c = 0; c < classes.Length; c++)
            {
                var row = Array.IndexOf(joint, $"{classes[c]} 0°");
                using var expected = all[.., row];
                using var actual = upright[.., c];
                Assert.IsTrue(allclose(actual, expected, rtol: 1e-5, atol: 1e-6), $"{classes[c]}: the logits of '{classes[c]} 0°'");
            }
            using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, NFNetModelExtensions.TimmConfigFileName)));
            CollectionAssert.AreEqual(classes, config.RootElement.GetProperty("label_names").EnumerateArray().Select(e => e.GetString()).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }
}

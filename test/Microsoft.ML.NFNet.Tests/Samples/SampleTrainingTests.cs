using System.Text.Json;
using Microsoft.ML.NFNet.Samples;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Microsoft.ML.NFNet.Tests.MLNet;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary>What the sample's training writes: its Model Builder-shaped pipeline, metrics.json with the trainer's
/// automatic choices, progress lines for a log file, and charts whose legend stays off the curves.</summary>
[TestClass]
public class SampleTrainingTests
{
    [TestMethod]
    public void MetricsJsonListsTheAutomaticChoicesSavedWithTheModel()
    {
        var root = Directory.CreateTempSubdirectory("nfnet-sample-");
        try
        {
            // One epoch on 6 images per class, every other setting left to the trainer, as the sample leaves them.
            var images = TestImages.Images(perClass: 6, seed: 1)
                .Select(i => new MLModel.ModelInput { Label = i.Label, ImageSource = i.ImageSource }).ToList();
            var settings = TrainingSettings.Defaults with { Epochs = 1, BatchSize = 6 };
            var mlContext = new MLContext(seed: 1);
            using var progress = new StringWriter();
            var trained = TrainedModel.Fit(mlContext, settings, images, validation: [], progress);
            var output = new OutputFolder(root.FullName);
            output.SaveModel(mlContext, trained);
            output.SaveMetrics(settings, trained);

            // The reference: the choices the trainer saved inside the model zip.
            var saved = NFNetModelParameters.FindIn(new MLContext().Model.Load(output.ModelPath, out _))!.Training!.AutomaticChoices;
            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.FullName, "metrics.json")));
            var written = metrics.RootElement.GetProperty("automaticChoices").EnumerateArray().Select(c => c.GetString()).ToArray();
            Assert.IsNotEmpty(saved);
            Assert.IsTrue(saved.Any(c => c.StartsWith("LearningRate = ", StringComparison.Ordinal)), string.Join("\n", saved));
            CollectionAssert.AreEqual(saved.ToArray(), written);
            Assert.AreEqual(1, metrics.RootElement.GetProperty("epochs").GetArrayLength());
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void RedirectedProgressIsOneUnwrappedPlainLinePerEpoch()
    {
        using var output = new StringWriter();
        var progress = new ProgressDisplay(output);
        var batch = new TrainingMetrics
        {
            Epoch = 12, Epochs = 73, Batch = 10, BatchesPerEpoch = 38, TrainLoss = 1.103, TrainAccuracy = 0.733, LearningRate = 0.0965,
            ImagesPerSecond = 53, EstimatedRemaining = TimeSpan.FromSeconds(1368), Step = 428, Elapsed = TimeSpan.FromSeconds(260),
            ClippedUnitFraction = 0.01,
        };
        var epochEnd = batch with { Batch = 38, IsEpochEnd = true, ValidationLoss = 0.675, ValidationAccuracy = 0.763 };

        progress.Run(() =>
        {
            progress.OnMetrics(batch);
            progress.OnMetrics(epochEnd);
            return 0;
        });

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, output.ToString());
        Assert.AreEqual("Epoch 12/73  loss 1.103  acc 73.3 %  lr 0.0965  53 img/s  val loss 0.675  val acc 76.3 %  left 22:48", lines[0]);
    }

    [TestMethod]
    public void TheTrainingCurvesLegendIsOutsideBothPlots()
    {
        foreach (var left in new[] { 0f, 600f })
        {
            var (plot, legend) = TrainingCurveChart.PanelLayout(left);

            Assert.IsFalse(plot.IntersectsWith(legend), $"legend {legend} overlaps plot {plot}");
            Assert.IsTrue(legend.Left >= left && legend.Right <= left + 600, "inside its panel");
        }
    }
}

using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary><see cref="NFNetModelParameters.ScoringEngine"/> and <see cref="NFNetModelParameters.InferencePrecision"/>:
/// ONNX Runtime scores as TorchSharp does (and as timm does, on its fixtures), from several threads, and the choice is a
/// runtime one that saving does not keep.</summary>
[TestClass]
public class ScoringEngineTests
{
    private const float EngineTolerance = 1e-4f;

    [TestMethod]
    public void OnnxRuntimeScoresATrainedModelAsTorchSharpDoesAndSwitchingBackIsExact()
    {
        var mlContext = new MLContext(seed: 1);
        using var model = (IDisposable)TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters((ITransformer)model);
        var images = TestImages.Images(perClass: 4, seed: 3).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();
        Assert.AreEqual(NFNetScoringEngine.TorchSharp, parameters.ScoringEngine);
        var torchSharp = parameters.PredictProbabilities(images, batchSize: 5);

        parameters.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        var onnxRuntime = parameters.PredictProbabilities(images, batchSize: 5);
        AssertClose(torchSharp, onnxRuntime, "ONNX Runtime vs TorchSharp, batches of 5 and 2");
        // The trained model is sharp: parity of near-uniform probabilities would prove little.
        Assert.IsTrue(torchSharp.Average(p => p.Max()) > 0.5, $"mean top probability {torchSharp.Average(p => p.Max())}");
        Assert.IsTrue(images.Select((_, i) => ArgMax(torchSharp[i]) == ArgMax(onnxRuntime[i])).All(same => same), "same top-1");

        Assert.IsFalse(parameters.Model.IsFrozenForScoring, "ONNX Runtime holds its own weights; TorchSharp's frozen copy is released");
        parameters.ScoringEngine = NFNetScoringEngine.TorchSharp;
        Assert.IsTrue(parameters.Model.IsFrozenForScoring, "frozen again for TorchSharp scoring");
        var again = parameters.PredictProbabilities(images, batchSize: 5);
        for (var i = 0; i < images.Length; i++)
            CollectionAssert.AreEqual(torchSharp[i], again[i], $"image {i}: TorchSharp after switching back");
    }

    [TestMethod]
    [DataRow("forward_dm_a", DisplayName = "timm fixture, DeepMind layout")]
    [DataRow("forward_l0_b", DisplayName = "timm fixture, timm light layout")]
    public void BothEnginesMatchTimmOnTheFixtures(string fixture)
    {
        var sidecar = FixtureSidecar.Read(fixture);
        var ioFile = sidecar.InputFiles.Single(f => f.Contains("64x64", StringComparison.Ordinal));
        var reference = Safetensors.Load(Fixtures.PathOf(ioFile));
        var input = reference["input"];
        var expected = reference["logits"].softmax(1).data<float>().ToArray();
        var parameters = new NFNetModelParameters(new MLContext(seed: 1), sidecar.CreateModel(),
            new ImagePreprocessingOptions { ImageSize = (int)input.shape[2] }, labels: null, training: null);
        try
        {
            var torchSharp = parameters.Network.RunPreprocessed(input, NetworkOutput.Probabilities);
            parameters.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
            var onnxRuntime = parameters.Network.RunPreprocessed(input, NetworkOutput.Probabilities);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], torchSharp[i], EngineTolerance, $"{fixture}[{i}]: TorchSharp engine vs timm");
                Assert.AreEqual(expected[i], onnxRuntime[i], EngineTolerance, $"{fixture}[{i}]: ONNX Runtime engine vs timm");
            }
        }
        finally
        {
            parameters.Model.Dispose();
        }
    }

    [TestMethod]
    public void OnnxRuntimeRunsEachThreadPlanOnASessionOfItsCountAndEveryPlanMatchesTimm()
    {
        var sidecar = FixtureSidecar.Read("forward_l0_b");
        var reference = Safetensors.Load(Fixtures.PathOf(sidecar.InputFiles.Single(f => f.Contains("64x64", StringComparison.Ordinal))));
        var input = reference["input"];
        Assert.IsTrue(input.shape[0] > 2, "a batch that two parts cut unevenly");
        var expected = reference["logits"].softmax(1).data<float>().ToArray();
        using var network = new ScoringNetwork(sidecar.CreateModel(), new ImagePreprocessingOptions { ImageSize = 64 }, "test");
        network.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        var scorer = network.OnnxRuntime!;
        var first = scorer.DefaultThreads;
        CollectionAssert.AreEquivalent(new[] { first }, scorer.OpenThreadCounts.ToArray(), "one session to start with");

        using (no_grad())
        {
            foreach (var plan in new ThreadPlan?[] { null, new(first + 1, false), new(1, false), new(2, true) })
            {
                var actual = network.RunPlanned(input, NetworkOutput.Probabilities, plan);
                Assert.HasCount(expected.Length, actual);
                for (var i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], actual[i], EngineTolerance, $"{plan?.ToString() ?? "no plan"}: [{i}] vs timm");
            }
        }
        CollectionAssert.IsSubsetOf(new[] { 1, first + 1 }, scorer.OpenThreadCounts.ToArray(), "a session for each count asked for");

        // At most three sessions (copies of the weights) stay open: another count closes the one used least recently.
        scorer.Open(first + 2);
        scorer.Open(1);
        scorer.Open(first + 3);
        CollectionAssert.AreEquivalent(new[] { first + 2, 1, first + 3 }, scorer.OpenThreadCounts.ToArray(), "the three used last");
        var reopened = network.RunPlanned(input, NetworkOutput.Probabilities, new ThreadPlan(first + 1, false));
        for (var i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], reopened[i], EngineTolerance, $"a closed count opened again: [{i}] vs timm");
        network.ScoringEngine = NFNetScoringEngine.TorchSharp;
        Assert.IsNull(network.OnnxRuntime, "the sessions are released with the engine");
    }

    [TestMethod]
    public void OnnxRuntimesThreadsAreTunedUnlessTheUserFixesTheCount()
    {
        if (PerThreadTorchThreads.CurrentThreads() is not > 1)
            Assert.Inconclusive("one core: nothing to choose");
        var fixedCount = Environment.GetEnvironmentVariable("OMP_NUM_THREADS");
        using var batch = rand(2, 3, 32, 32);
        try
        {
            using (var network = OnnxRuntimeNetwork())
            {
                network.RunPreprocessed(batch, NetworkOutput.Probabilities);
                Assert.IsNull(network.OnnxRuntimeThreads, "OMP_NUM_THREADS is set");
            }

            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", null);
            using var unfixed = OnnxRuntimeNetwork();
            for (var i = 0; i < 5; i++)
                unfixed.RunPreprocessed(batch, NetworkOutput.Probabilities);
            var tuner = unfixed.OnnxRuntimeThreads;
            Assert.IsNotNull(tuner, "ONNX Runtime's passes are timed");
            Assert.IsNull(unfixed.ForwardThreads, "TorchSharp's tuner is not the one that times them");
            Assert.IsTrue(tuner.Plans.Any(plan => plan.Split), "its batches may be cut into parts");
            Assert.AreEqual(IntraOpThreadTuner.RequiredGain, tuner.SplitGain, "its parts cost little on a quiet machine");
            CollectionAssert.Contains(unfixed.OnnxRuntime!.OpenThreadCounts.ToArray(), tuner.Threads, "the session of the count in use is open");
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", fixedCount);
        }

        static ScoringNetwork OnnxRuntimeNetwork() =>
            new(new NFNetModel(TinyConfigs.Light, 3), new ImagePreprocessingOptions { ImageSize = 32 }, "test")
            {
                ScoringEngine = NFNetScoringEngine.OnnxRuntime,
            };
    }

    [TestMethod]
    public void ParallelPredictionEnginesOnOnnxRuntimeAgreeWithASequentialTorchSharpOne()
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out _);
        var parameters = TestImages.Parameters(model);
        var images = TestImages.Images(perClass: 3, seed: 5).Select(i => new ImageInput { ImageSource = i.ImageSource }).ToArray();
        float[][] expected;
        using (var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false }))
            expected = images.Select(i => engine.Predict(i).Score.ToArray()).ToArray();

        parameters.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        var results = new float[4][][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, t =>
        {
            using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false });
            results[t] = Enumerable.Range(0, 3).SelectMany(_ => images).Select(i => engine.Predict(i).Score.ToArray()).ToArray();
        });
        foreach (var result in results)
            AssertClose(result.Select((_, i) => expected[i % images.Length]).ToArray(), result, "parallel ONNX Runtime engines");
    }

    [TestMethod]
    public void TheEngineAndPrecisionAreRuntimeChoicesThatSavingDoesNotKeep()
    {
        var mlContext = new MLContext(seed: 1);
        var options = TestImages.FastOptions();
        options.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        var data = mlContext.Data.LoadFromEnumerable(TestImages.Images(perClass: 6, seed: 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var model = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keyed);
        Assert.AreEqual(NFNetScoringEngine.OnnxRuntime, model.Model.ScoringEngine, "the trainer's option reaches the model");
        var images = TestImages.Images(perClass: 2, seed: 9).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();
        var onnxRuntime = model.Model.PredictProbabilities(images);

        using var stream = new MemoryStream();
        mlContext.Model.Save(model, keyed.Schema, stream);
        stream.Position = 0;
        var loaded = NFNetModelParameters.FindIn(mlContext.Model.Load(stream, out _));
        Assert.IsNotNull(loaded, "FindIn finds the parameters of a loaded model");
        Assert.AreEqual(NFNetScoringEngine.TorchSharp, loaded.ScoringEngine, "a loaded model starts on TorchSharp");
        Assert.AreEqual(NFNetPrecision.Float32, loaded.InferencePrecision);
        Assert.IsTrue(loaded.Model.IsFrozenForScoring, "a loaded model is frozen for scoring");
        AssertClose(onnxRuntime, loaded.PredictProbabilities(images), "loaded model on TorchSharp vs the saved one on ONNX Runtime");
    }

    [TestMethod]
    public void BFloat16ScoringTracksFloat32OnATrainedModel()
    {
        var mlContext = new MLContext(seed: 1);
        var parameters = TestImages.Parameters(TestImages.Train(mlContext, out _));
        var images = TestImages.Images(perClass: 4, seed: 3).Select(i => (ReadOnlyMemory<byte>)i.ImageSource).ToArray();
        var fp32 = parameters.PredictProbabilities(images);
        parameters.InferencePrecision = NFNetPrecision.BFloat16;
        Assert.AreEqual(NFNetPrecision.BFloat16, parameters.Model.InferencePrecision);
        var bf16 = parameters.PredictProbabilities(images);
        var maxDifference = fp32.Zip(bf16, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        // bfloat16 keeps 8 bits of mantissa; the difference must be visible (it did run in bf16) yet small.
        Assert.IsTrue(maxDifference is > 0 and < 0.05f, $"max |Δp| bf16 vs fp32 = {maxDifference}");
        Assert.IsTrue(images.Select((_, i) => ArgMax(fp32[i]) == ArgMax(bf16[i])).All(same => same), "same top-1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => parameters.InferencePrecision = (NFNetPrecision)7);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => parameters.ScoringEngine = (NFNetScoringEngine)7);
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    private static void AssertClose(float[][] expected, float[][] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (var i = 0; i < expected.Length; i++)
        for (var j = 0; j < expected[i].Length; j++)
            Assert.AreEqual(expected[i][j], actual[i][j], EngineTolerance, $"{what}: image {i}, class {j}");
    }
}

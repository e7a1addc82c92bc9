using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// A scoring batch cut into single-threaded parts (what the thread tuner chooses beside busy processes,
/// <see cref="ThreadPlan"/>) gives timm's outputs like one pass does, in the batch's order, and fails as one pass fails.
/// </summary>
[TestClass]
public class ScoringInPartsTests
{
    private const float Tolerance = 1e-4f;

    [TestMethod]
    [DataRow(2, DisplayName = "2 parts of 3 images (2 + 1)")]
    [DataRow(3, DisplayName = "3 parts of one image each")]
    [DataRow(8, DisplayName = "more parts than images")]
    public void EachPartMatchesTimmInItsPlace(int parts)
    {
        var sidecar = FixtureSidecar.Read("forward_l0_b");
        var reference = Safetensors.Load(Fixtures.PathOf(sidecar.InputFiles.Single(f => f.Contains("64x64", StringComparison.Ordinal))));
        var input = reference["input"];
        using var network = new ScoringNetwork(sidecar.CreateModel(), new ImagePreprocessingOptions { ImageSize = 64 }, "test");

        using (no_grad())
        {
            AssertClose(reference["logits"].softmax(1), network.RunInParts(input, NetworkOutput.Probabilities, parts), "probabilities");
            AssertClose(reference["features"], network.RunInParts(input, NetworkOutput.Features, parts), "features");
        }
    }

    [TestMethod]
    public void APartThatFailsThrowsItsOwnExceptionNotAnAggregate()
    {
        using var network = new ScoringNetwork(new NFNetModel(TinyConfigs.Light, 3), new ImagePreprocessingOptions { ImageSize = 32 }, "test");
        using var wrongChannels = rand(4, 1, 32, 32);

        var error = Assert.ThrowsExactly<ArgumentException>(() => network.RunInParts(wrongChannels, NetworkOutput.Probabilities, 2));
        StringAssert.Contains(error.Message, "[batch, 3, height, width]");
    }

    private static void AssertClose(Tensor expected, float[] actual, string what)
    {
        var values = expected.to(ScalarType.Float32).data<float>().ToArray();
        Assert.HasCount(values.Length, actual, what);
        for (var i = 0; i < values.Length; i++)
            Assert.AreEqual(values[i], actual[i], Tolerance * Math.Max(1, Math.Abs(values[i])), $"{what}[{i}]");
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>Eval-mode forward parity with timm v0.9.16 on every forward_* fixture and every stored input size.</summary>
[TestClass]
public class ForwardParityTests
{
    public static IEnumerable<object[]> Cases() =>
        Directory.GetFiles(Fixtures.Directory, "forward_*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .SelectMany(name => FixtureSidecar.Read(name).InputFiles.Select(io => new object[] { name, io }));

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MatchesTimm(string fixture, string ioFile)
    {
        var sidecar = FixtureSidecar.Read(fixture);
        using var model = sidecar.CreateModel();
        model.eval();
        var reference = Safetensors.Load(Fixtures.PathOf(ioFile));
        using var _ = no_grad();

        var outputs = model.ForwardIntermediates(reference["input"]);

        TensorAssert.Close(reference["logits"], outputs["logits"], 1e-5, $"{ioFile} logits");
        TensorAssert.Close(reference["features"], outputs["features"], 1e-4, $"{ioFile} features");
        TensorAssert.Close(reference["feature_map"], outputs["feature_map"], 1e-4, $"{ioFile} feature_map");
        var activations = reference.Keys.Where(k => k.StartsWith("act/")).ToList();
        Assert.IsTrue(activations.Count >= 5, "the fixture stores intermediate activations");
        foreach (var key in activations)
            TensorAssert.CloseRelativeToMax(reference[key], outputs[key["act/".Length..]], 1e-5, $"{ioFile} {key}");
        // forward() and ForwardFeatures() are the same computation as the trace.
        TensorAssert.Close(outputs["logits"], model.forward(reference["input"]), 0, "forward() vs trace");
        TensorAssert.Close(outputs["features"], model.ForwardFeatures(reference["input"]), 0, "ForwardFeatures() vs trace");
    }
}

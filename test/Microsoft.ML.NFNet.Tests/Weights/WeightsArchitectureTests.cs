namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>The architecture of a weights file follows from its tensor names and shapes.</summary>
[TestClass]
public class WeightsArchitectureTests
{
    [TestMethod]
    public void EveryKnownVariantIsRecognisedFromItsShapesAlone()
    {
        // Any two variants with the same tensors would make the inference ambiguous; this fails if one is ever added.
        var distinct = NFNetConfig.KnownVariants.Select(NFNetConfig.Variant).Distinct().ToArray();
        Assert.IsGreaterThanOrEqualTo(25, distinct.Length, "F0–F7, F0+–F7+, nfnet_f0–f7, nfnet_l0, eca_nfnet_l0–l3, nfnet_tiny");
        foreach (var config in distinct)
        {
            var shapes = WeightsArchitecture.ShapesOf(config).ToDictionary(kv => kv.Key, kv => kv.Value);
            shapes["head.fc.weight"] = [7, shapes["head.fc.weight"][1]];
            shapes["head.fc.bias"] = [7];
            var (inferred, classes) = WeightsArchitecture.Infer(shapes, "file");
            Assert.AreEqual(config, inferred, config.Name);
            Assert.AreEqual(7, classes);
        }
    }

    [TestMethod]
    public void ACustomArchitectureNamesTheClosestVariantAndTheDifferences()
    {
        var shapes = WeightsArchitecture.ShapesOf(NFNetConfig.Variant("nfnet_tiny") with { Channels = [64, 128, 256, 320] });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => WeightsArchitecture.Infer(shapes, "custom.safetensors"));

        StringAssert.Contains(error.Message, "'custom.safetensors'");
        StringAssert.Contains(error.Message, "fits none of the known NFNet architectures");
        StringAssert.Contains(error.Message, "The closest is nfnet_tiny");
        StringAssert.Contains(error.Message, "'stages.3.0.downsample.conv.weight' is [320, 256, 1, 1] in the file, [256, 256, 1, 1] in nfnet_tiny");
        StringAssert.Contains(error.Message, "Options.Architecture");
    }

    [TestMethod]
    public void MissingAndExtraTensorsAreCounted()
    {
        var shapes = WeightsArchitecture.ShapesOf(NFNetConfig.Variant("eca_nfnet_l0")).ToDictionary(kv => kv.Key, kv => kv.Value);
        shapes.Remove("final_conv.weight");
        shapes["stages.0.0.extra.weight"] = [1];

        var error = Assert.ThrowsExactly<InvalidDataException>(() => WeightsArchitecture.Infer(shapes, "f"));

        StringAssert.Contains(error.Message, "The closest is eca_nfnet_l0");
        StringAssert.Contains(error.Message, "1 tensor(s) missing from the file (final_conv.weight)");
        StringAssert.Contains(error.Message, "1 tensor(s) it does not have (stages.0.0.extra.weight)");
    }

    [TestMethod]
    public void PublishedNamesArePreferredForDeepMindVariants()
    {
        Assert.AreEqual("dm_nfnet_f0", WeightsArchitecture.NameOf(NFNetConfig.Variant("F0")));
        Assert.AreEqual("eca_nfnet_l0", WeightsArchitecture.NameOf(NFNetConfig.Variant("eca_nfnet_l0")));
        Assert.AreEqual("tiny-eca", WeightsArchitecture.NameOf(TinyConfigs.Light), "a custom config keeps its own name");
    }
}

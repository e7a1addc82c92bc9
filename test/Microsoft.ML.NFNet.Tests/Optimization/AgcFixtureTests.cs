namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>AGC alone against timm's <c>adaptive_clip_grad</c> on the raw gradients of train_dm_a.</summary>
[TestClass]
public class AgcFixtureTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ClippedGradientsAndCountsMatchTimm(int step)
    {
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel(step - 1);
        fixture.SetRawGradients(model, step);
        var facts = fixture.Steps[step - 1];
        var clipped = AgcClippingSet.Of(model);
        using var statistics = new AgcStatistics();

        AdaptiveGradientClipping.Apply(clipped, fixture.ClipFactor, fixture.ClipEps, statistics);

        var log = new ParityLog();
        foreach (var (name, parameter) in model.named_parameters())
            log.Check("clipped grad", $"step{step} {name}", fixture[$"step{step}/grad_clipped/{name}"], parameter.grad!,
                relative: 1e-6, absolute: 1e-12);
        Assert.AreEqual(facts.UnitsTotal, statistics.UnitsTotal, "units examined");
        Assert.AreEqual(facts.UnitsClipped, statistics.UnitsClipped, "units clipped");
        TestContext.WriteLine(log.Report());
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ClippedUnitsPerParameterMatchTimm(int step)
    {
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel(step - 1);
        fixture.SetRawGradients(model, step);
        var expected = fixture.Steps[step - 1].ClippedUnitsPerParameter;
        var clipped = AgcClippingSet.Of(model);
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), clipped.Select(p => p.Name).ToList(), "the clipping set");

        foreach (var parameter in clipped)
        {
            using var statistics = new AgcStatistics();
            AdaptiveGradientClipping.Apply([parameter], fixture.ClipFactor, fixture.ClipEps, statistics);
            Assert.AreEqual(expected[parameter.Name], (statistics.UnitsClipped, statistics.UnitsTotal), $"step{step} {parameter.Name}");
        }
    }
}

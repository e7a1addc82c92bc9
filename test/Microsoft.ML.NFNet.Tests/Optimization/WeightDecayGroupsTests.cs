namespace Microsoft.ML.NFNet.Tests.Optimization;

[TestClass]
public class WeightDecayGroupsTests
{
    [TestMethod]
    public void DecaysConvAndLinearWeightsOnlyAsTheFixtureDoes()
    {
        using var fixture = TrainFixture.Load();
        using var model = fixture.CreateModel();

        var groups = WeightDecayGroups.Of(model);

        CollectionAssert.AreEqual(fixture.DecayNames.ToList(), groups.Decayed.Select(p => p.Name).ToList());
        CollectionAssert.AreEqual(fixture.NoDecayNames.ToList(), groups.NotDecayed.Select(p => p.Name).ToList());
    }

    [TestMethod]
    public void BuildsSgdAndAdamWGroupsWithDecayOnTheFirstOnly()
    {
        using var model = new NFNetModel(TinyConfigs.Light, 3);
        var groups = WeightDecayGroups.Of(model);

        var sgd = groups.ToSgdGroups(0.2, 0.9, nesterov: true, 2e-5);
        var adamW = groups.ToAdamWGroups(1e-3, 0.05);

        Assert.AreEqual(groups.Decayed.Count, sgd[0].Parameters.Count());
        Assert.AreEqual(groups.NotDecayed.Count, sgd[1].Parameters.Count());
        Assert.AreEqual((2e-5, 0.0), (sgd[0].Options.weight_decay!.Value, sgd[1].Options.weight_decay!.Value));
        Assert.IsTrue(sgd.All(g => g.Options.nesterov == true && g.Options.momentum == 0.9 && g.LearningRate == 0.2));
        Assert.AreEqual((0.05, 0.0), (adamW[0].Options.weight_decay!.Value, adamW[1].Options.weight_decay!.Value));
        Assert.IsTrue(groups.NotDecayed.All(p => p.Name.EndsWith("gain") || p.Name.EndsWith("bias")));
    }
}

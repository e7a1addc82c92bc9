using TorchSharp;

namespace Microsoft.ML.NFNet.Tests;

[TestClass]
public class SmokeTests
{
    [TestMethod]
    public void TorchSharpRunsAndFixturesAreThere()
    {
        using var t = torch.ones(2, 3);
        Assert.AreEqual(6f, t.sum().item<float>());
        Assert.IsTrue(File.Exists(Fixtures.PathOf("param_counts.json")));
    }
}

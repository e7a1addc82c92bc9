using TorchSharp;
using static TorchSharp.torch;
namespace Microsoft.ML.NFNet.Tests.Modeling;
[TestClass]
public class MpDebug
{
    [TestMethod]
    public void Trace()
    {
        var sidecar = FixtureSidecar.Read("forward_l0_b");
        using var model = sidecar.CreateModel();
        model.eval();
        var reference = Safetensors.Load(Fixtures.PathOf("forward_l0_b.io_64x64.safetensors"));
        using var _ = no_grad();
        var o = model.ForwardIntermediates(reference["input"]);
        foreach (var k in reference.Keys.Where(k => k.StartsWith("act/")))
            Console.WriteLine($"{k}: rel {((reference[k]-o[k[4..]]).abs().max() / reference[k].abs().max()).item<float>()}");
        var o2 = model.ForwardIntermediates(reference["input"]);
        Console.WriteLine($"second call stem diff {(o["stem"]-o2["stem"]).abs().max().item<float>()}");
    }
}

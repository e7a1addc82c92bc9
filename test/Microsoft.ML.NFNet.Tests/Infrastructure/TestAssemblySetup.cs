using TorchSharp;

// libtorch already uses both cores for one op; running test classes in parallel only adds contention and memory.
[assembly: DoNotParallelize]

namespace Microsoft.ML.NFNet.Tests;

[TestClass]
public static class TestAssemblySetup
{
    [AssemblyInitialize]
    public static void Initialize(TestContext _)
    {
        torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
    }
}

using System.Globalization;
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
        var threads = Math.Max(1, Environment.ProcessorCount);
        torch.set_num_threads(threads);
        // A fixed thread count, as a user sets it for bit-reproducible runs: the library then never changes it on a busy
        // machine (IntraOpThreadTuner), so tests that compare two runs bit for bit do not depend on the machine's load.
        // The tuner's own tests construct it directly.
        Environment.SetEnvironmentVariable("OMP_NUM_THREADS", threads.ToString(CultureInfo.InvariantCulture));
    }
}

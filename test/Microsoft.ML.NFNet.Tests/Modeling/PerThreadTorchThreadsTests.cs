using TorchSharp;

namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public sealed class PerThreadTorchThreadsTests
{
    [TestMethod]
    public void SingleThreadedAppliesToTheCallingThreadOnlyAndIsRestored()
    {
        TorchRuntime.EnsureAvailable();
        var before = torch.get_num_threads();
        Assert.IsGreaterThan(1, before, "the test machine runs libtorch with several threads by default");

        int inside, otherThread = 0;
        using (PerThreadTorchThreads.SingleThreaded())
        {
            inside = torch.get_num_threads();
            var thread = new Thread(() => otherThread = torch.get_num_threads());
            thread.Start();
            thread.Join();
        }

        Assert.AreEqual(1, inside, "libtorch operators on this thread run single-threaded inside the scope");
        Assert.AreEqual(before, otherThread, "a thread that starts meanwhile keeps the process default");
        Assert.AreEqual(before, torch.get_num_threads(), "the thread's count is restored");
    }
}

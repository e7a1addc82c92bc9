namespace Microsoft.ML.NFNet.Tests.Native;

[TestClass]
public class CpuLimitTests
{
    [TestMethod]
    [DataRow(16, 2, 2, DisplayName = "16 threads, a 2-CPU container quota: 2")]
    [DataRow(8, 1, 1, DisplayName = "an affinity mask of one CPU: 1")]
    [DataRow(8, 16, 8, DisplayName = "physical cores under logical CPUs (SMT): all 8")]
    [DataRow(2, 2, 2, DisplayName = "no limit: all")]
    [DataRow(4, 0, 1, DisplayName = "an unknown CPU count: at least one")]
    public void ThreadsAreKeptWithinTheUsableCpus(int threads, int usableCpus, int expected) =>
        Assert.AreEqual(expected, CpuLimit.Within(threads, usableCpus));

    [TestMethod]
    [DataRow(64, 2, 4, DisplayName = "64 threads, a 2-CPU quota: start with 4")]
    [DataRow(2, 1, 2, DisplayName = "2 threads, a 1-CPU quota: both (measured no slower than one)")]
    [DataRow(8, 1, 2, DisplayName = "8 threads, one CPU: 2")]
    public void TheTunerStartsWithTwoThreadsPerUsableCpuAtMost(int threads, int usableCpus, int expected) =>
        Assert.AreEqual(expected, CpuLimit.Start(threads, usableCpus));

    [TestMethod]
    public void TheUsersCountIsKept()
    {
        // The test run fixes OMP_NUM_THREADS (TestAssemblySetup), as a user does for bit-reproducible runs.
        Assert.IsTrue(CpuLimit.UserSetCount());
        Assert.AreEqual(64, CpuLimit.WithinThisProcess(64));
    }
}

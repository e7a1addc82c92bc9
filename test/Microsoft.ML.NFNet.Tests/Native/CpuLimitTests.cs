namespace Microsoft.ML.NFNet.Tests.Native;

[TestClass]
public class CpuLimitTests
{
    [TestMethod]
    [DataRow(16, 2, 2, DisplayName = "16 cores, a 2-CPU container quota: 2 threads")]
    [DataRow(8, 1, 1, DisplayName = "an affinity mask of one CPU: 1 thread")]
    public void MoreThreadsThanUsableCpusAreCut(int libtorchThreads, int usableCpus, int expected) =>
        Assert.AreEqual(expected, CpuLimit.Fit(libtorchThreads, usableCpus, userSetCount: false));

    [TestMethod]
    [DataRow(8, 16, DisplayName = "physical cores under logical CPUs (SMT)")]
    [DataRow(2, 2, DisplayName = "no limit")]
    [DataRow(4, 0, DisplayName = "an unknown CPU count")]
    public void OtherCountsAreKept(int libtorchThreads, int usableCpus) =>
        Assert.IsNull(CpuLimit.Fit(libtorchThreads, usableCpus, userSetCount: false));

    [TestMethod]
    public void TheUsersCountIsKept() => Assert.IsNull(CpuLimit.Fit(16, 2, userSetCount: true));
}

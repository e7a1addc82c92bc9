namespace Microsoft.ML.NFNet.Tests.Modeling;

[TestClass]
public class TorchRuntimeTests
{
    [TestMethod]
    public void LoadsHere() => TorchRuntime.EnsureAvailable();

    [TestMethod]
    public void OldLibstdcxxGetsTheFix()
    {
        // The shape of the failure on Debian 12 (TorchSharp wraps the loader error in its own message).
        var failure = new NotSupportedException(
            "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.\n" +
            "Trace from LoadNativeBackend:\n    Failed to load native component LibTorchSharp: Unable to load shared library 'LibTorchSharp' or one of its dependencies.\n" +
            "/app/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/libLibTorchSharp.so)");
        var message = TorchRuntime.Diagnose(failure);
        StringAssert.Contains(message, "GLIBCXX_3.4.32");
        StringAssert.Contains(message, "install-prerequisites.sh");
        StringAssert.Contains(message, "not found (required by");
    }

    [TestMethod]
    public void MissingBackendPackageSaysWhichToReference()
    {
        var failure = new NotSupportedException(
            "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.\n\nConsider referencing ...");
        var message = TorchRuntime.Diagnose(failure);
        StringAssert.Contains(message, "TorchSharp-cpu");
        StringAssert.Contains(message, "exactly one backend");
    }
}

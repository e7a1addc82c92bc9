using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// What libtorch's OpenMP runtime (GNU libgomp) actually uses in an application that loads a saved model: the user's
/// settings, however they were made, and libgomp's own defaults otherwise.
/// libgomp reads its settings once, as it loads, and prints the spin count it settled on when OMP_DISPLAY_ENV=VERBOSE.
/// Each case runs test/Microsoft.ML.NFNet.LoadCheck in a fresh process, since in this one libgomp is long loaded.
/// </summary>
[TestClass]
public partial class OpenMpWaitingTests
{
    private const long LibgompDefaultSpinCount = 300_000;
    private static string modelFolder = "";

    [ClassInitialize]
    public static void SaveModel(TestContext _)
    {
        var mlContext = new MLContext(seed: 1);
        var model = TestImages.Train(mlContext, out var schema);
        modelFolder = Directory.CreateTempSubdirectory("nfnet-openmp-").FullName;
        mlContext.Model.Save(model, schema, Path.Combine(modelFolder, "model.zip"));
        File.WriteAllBytes(Path.Combine(modelFolder, "row.bin"), TestImages.Images(perClass: 1, seed: 3)[0].ImageSource);
        (model as IDisposable)?.Dispose();
    }

    [ClassCleanup]
    public static void DeleteModel() => Directory.Delete(modelFolder, recursive: true);

    [TestMethod]
    public void WithNoSettingLibgompKeepsItsOwnDefaults() =>
        Assert.AreEqual(LibgompDefaultSpinCount, SpinCountInEffect(), "the library set a spin count of its own");

    [TestMethod]
    [DataRow("PASSIVE", 0L)]
    [DataRow("passive", 0L)]
    [DataRow("ACTIVE", 30_000_000_000L)]
    public void TheUsersWaitPolicyWins(string policy, long expectedSpinCount) =>
        Assert.AreEqual(expectedSpinCount, SpinCountInEffect(environment: new() { ["OMP_WAIT_POLICY"] = policy }));

    [TestMethod]
    public void TheUsersSpinCountWins() =>
        Assert.AreEqual(123_456, SpinCountInEffect(environment: new() { ["GOMP_SPINCOUNT"] = "123456" }));

    [TestMethod]
    [DataRow("OMP_WAIT_POLICY", "PASSIVE", 0L)]
    [DataRow("GOMP_SPINCOUNT", "4321", 4321L)]
    public void ASettingMadeThroughDotnetAtStartupWins(string name, string value, long expectedSpinCount) =>
        Assert.AreEqual(expectedSpinCount, SpinCountInEffect(setInProcess: new() { [name] = value }));

    // libtorch also reads MKL_NUM_THREADS for its thread count, as it initializes each thread: set through .NET, it has to
    // reach the C library's environment too.
    [TestMethod]
    [DataRow("OMP_NUM_THREADS")]
    [DataRow("MKL_NUM_THREADS")]
    public void AThreadCountSetThroughDotnetAtStartupWins(string variable)
    {
        if (TorchSharp.torch.get_num_threads() < 2)
            Assert.Inconclusive("needs a machine where libtorch uses two threads");
        Assert.AreEqual(1, ThreadsOfANewThread(new() { ["OMP_NUM_THREADS"] = null, ["MKL_NUM_THREADS"] = null }, new() { [variable] = "1" }),
            "a new thread's libtorch thread count");
    }

    private static int ThreadsOfANewThread(Dictionary<string, string?> environment, Dictionary<string, string> setInProcess)
    {
        var report = LoadCheckProcess.Run(Path.Combine(modelFolder, "model.zip"), nameof(ImageInput.ImageSource),
            [Path.Combine(modelFolder, "row.bin")], environment: environment, setInProcess: setInProcess);
        Assert.HasCount(1, report.Scores, "the model scored the row");
        return report.IntraOpThreads;
    }

    // Runs the stand-in app with neither variable inherited from this process, except as given.
    private static long SpinCountInEffect(Dictionary<string, string?>? environment = null, Dictionary<string, string>? setInProcess = null)
    {
        var variables = new Dictionary<string, string?>
        {
            ["OMP_WAIT_POLICY"] = null,
            ["GOMP_SPINCOUNT"] = null,
            ["OMP_DISPLAY_ENV"] = "VERBOSE",
        };
        foreach (var (name, value) in environment ?? [])
            variables[name] = value;
        var report = LoadCheckProcess.Run(Path.Combine(modelFolder, "model.zip"), nameof(ImageInput.ImageSource),
            [Path.Combine(modelFolder, "row.bin")], environment: variables, setInProcess: setInProcess);

        Assert.HasCount(1, report.Scores, "the model scored the row");
        var displayed = DisplayedSpinCount().Matches(report.StandardError);
        Assert.HasCount(1, displayed, $"libgomp printed its settings once:\n{report.StandardError}");
        return long.Parse(displayed[0].Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"GOMP_SPINCOUNT = '(\d+)'")]
    private static partial Regex DisplayedSpinCount();
}

using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>What test/Microsoft.ML.NFNet.LoadCheck prints.</summary>
internal sealed record LoadCheckReport(
    string[] LoadedBeforeModelLoad,
    string[] LoadedAfterModelLoad,
    string[] TransformerTypes,
    string[] ScoreSlotNames,
    float[][] Scores,
    string[]? PredictedLabels,
    int IntraOpThreads)
{
    /// <summary>What the process wrote to stderr (native libraries' diagnostics included).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string StandardError { get; init; } = "";
}

/// <summary>Runs test/Microsoft.ML.NFNet.LoadCheck, a stand-in application, in a process of its own.</summary>
internal static class LoadCheckProcess
{
    private const string ProjectName = "Microsoft.ML.NFNet.LoadCheck";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <param name="modelPath">The model zip.</param>
    /// <param name="featureColumn">The column the row files' bytes go into.</param>
    /// <param name="rowFiles">One encoded image per row.</param>
    /// <param name="vectorColumn">The float vector column to report (Score, or a featurizer's output).</param>
    /// <param name="environment">Variables of the process's environment: a value sets one, null removes one.</param>
    /// <param name="setInProcess">Variables the program sets with Environment.SetEnvironmentVariable as it starts.</param>
    public static LoadCheckReport Run(string modelPath, string featureColumn, IEnumerable<string> rowFiles, string vectorColumn = "Score",
        IReadOnlyDictionary<string, string?>? environment = null, IReadOnlyDictionary<string, string>? setInProcess = null)
    {
        var checker = Path.Combine(TestPaths.SiblingOutputDirectory(ProjectName), ProjectName + ".dll");
        Assert.IsTrue(File.Exists(checker), $"{checker} is missing: build the solution (the test project builds it first).");

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Same libtorch thread count as this process: CPU kernels may split reductions by thread, and the test wants
        // bit-identical scores.
        start.Environment["OMP_NUM_THREADS"] = TorchSharp.torch.get_num_threads().ToString();
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        var inProcess = (setInProcess ?? new Dictionary<string, string>()).SelectMany(v => new[] { "--set-env", $"{v.Key}={v.Value}" });
        foreach (var argument in new[] { checker, "--vector-column", vectorColumn }.Concat(inProcess).Concat([modelPath, featureColumn]).Concat(rowFiles))
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{ProjectName} did not finish within {Timeout}.");
        }
        Assert.AreEqual(0, process.ExitCode, $"{ProjectName} failed:\n{stderr.Result}\n{stdout.Result}");
        return JsonSerializer.Deserialize<LoadCheckReport>(stdout.Result, new JsonSerializerOptions
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        })! with { StandardError = stderr.Result };
    }

    // The muxer running this test (testhost runs under it), else the one on PATH.
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current != null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}

using System.CommandLine;
using Microsoft.ML.NFNet.Benchmarks.Decode;
using Microsoft.ML.NFNet.Benchmarks.Memory;
using Microsoft.ML.NFNet.Benchmarks.Probes;
using Microsoft.ML.NFNet.Benchmarks.Scoring;
using Microsoft.ML.NFNet.Benchmarks.SmallData;
using Microsoft.ML.NFNet.Benchmarks.Speed;
using Microsoft.ML.NFNet.Benchmarks.Transfer;
using Microsoft.ML.NFNet.Benchmarks.WebApiLoad;
using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Benchmarks;

/// <summary>
/// The benchmark app's command line: one subcommand per benchmark or probe. Parse errors and errors a user can cause
/// print one message and exit with code 1, as in the sample (<see cref="CommandLineRunner"/>).
/// </summary>
internal static class BenchmarkCommandLine
{
    /// <summary>The name in usage lines (the assembly name).</summary>
    public const string Name = "Microsoft.ML.NFNet.Benchmarks";

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Benchmarks and probes of Microsoft.ML.NFNet (docs/benchmarks.md): each command prints its figures, most also as " +
            "'RESULT {json}' lines for scripts.") { HelpName = Name };
        foreach (var command in new System.CommandLine.Command[]
                 {
                     new SpeedCommand(), new ScoringBenchCommand(), new SmallDataBenchCommand(), new TransferBenchCommand(),
                     new LoadTestCommand(), new DecodeCommand(), new ProbeCommand(), new ReliabilityCommand(), new MemoryCommand(),
                     new TimmExportCommand(), new ScalarRaceCommand(),
                 })
            root.Subcommands.Add(command);
        return root;
    }

    public static int Run(string[] args) => CommandLineRunner.Run(Create(), Name, args);

    public static int Invoke(ParseResult result, TextWriter output, TextWriter error) =>
        CommandLineRunner.Invoke(result, Name, output, error);
}

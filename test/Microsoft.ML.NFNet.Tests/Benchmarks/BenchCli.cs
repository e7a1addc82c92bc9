using System.CommandLine;
using Microsoft.ML.NFNet.Benchmarks;

namespace Microsoft.ML.NFNet.Tests.Benchmarks;

/// <summary>Parses the benchmark app's command line, and runs it only where that prints help or a parse error.</summary>
internal static class BenchCli
{
    public static ParseResult Parse(params string[] args) => BenchmarkCommandLine.Create().Parse(args);

    /// <summary>Exit code, stdout and stderr of a command line that must not start any real work.</summary>
    public static (int ExitCode, string Output, string Error) RunWithoutWork(params string[] args) =>
        CommandLineWithoutWork.Run(Parse(args), BenchmarkCommandLine.Invoke);

    /// <summary>Splits a command line at spaces, with {folder} and {file} standing for ones that exist.</summary>
    public static string[] Args(string commandLine) => commandLine
        .Replace("{folder}", AppContext.BaseDirectory).Replace("{file}", typeof(BenchCli).Assembly.Location)
        .Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

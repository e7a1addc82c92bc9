using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary>Parses the sample's command line, and runs it only where that prints help or a parse error.</summary>
internal static class SampleCli
{
    public static ParseResult Parse(params string[] args) => SampleCommandLine.Create().Parse(args);

    /// <summary>Exit code, stdout and stderr of a command line that must not start any real work.</summary>
    public static (int ExitCode, string Output, string Error) RunWithoutWork(params string[] args) =>
        CommandLineWithoutWork.Run(Parse(args), (r, o, e) => CommandLineRunner.Invoke(r, SampleCommandLine.Name, o, e));
}

using System.CommandLine;
using System.CommandLine.Help;
using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary>Parses the sample's command line, and runs it only where that prints help or a parse error.</summary>
internal static class SampleCli
{
    public static ParseResult Parse(params string[] args) => SampleCommandLine.Create().Parse(args);

    /// <summary>Exit code, stdout and stderr of a command line that must not start any real work.</summary>
    public static (int ExitCode, string Output, string Error) RunWithoutWork(params string[] args)
    {
        var result = Parse(args);
        // Guard: a command line that parsed cleanly would train or benchmark for real.
        Assert.IsTrue(result.Errors.Count > 0 || result.Action is HelpAction,
            $"'{string.Join(' ', args)}' would run its command; these tests only parse.");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CommandLineRunner.Invoke(result, SampleCommandLine.Name, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

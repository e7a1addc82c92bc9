using System.CommandLine;
using System.CommandLine.Help;

namespace Microsoft.ML.NFNet.Tests;

/// <summary>Runs an app's parsed command line only where that prints help or a parse error (the sample's and the
/// benchmark app's command-line tests share it).</summary>
internal static class CommandLineWithoutWork
{
    /// <summary>Exit code, stdout and stderr of <paramref name="invoke"/> on a command line that must not start real work.</summary>
    public static (int ExitCode, string Output, string Error) Run(ParseResult result, Func<ParseResult, TextWriter, TextWriter, int> invoke)
    {
        // Guard: a command line that parsed cleanly would train or benchmark for real.
        Assert.IsTrue(result.Errors.Count > 0 || result.Action is HelpAction,
            $"'{string.Join(' ', result.Tokens.Select(t => t.Value))}' would run its command; these tests only parse.");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = invoke(result, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

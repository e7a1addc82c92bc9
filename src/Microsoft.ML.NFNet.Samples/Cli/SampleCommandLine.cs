using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Microsoft.ML.NFNet.Samples.Benchmarks;
using Microsoft.ML.NFNet.Samples.Commands;

namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>
/// The sample's command line (System.CommandLine): the Fashion-MNIST run as the root command, with train, predict,
/// evaluate and bench below it. Parse errors print the parser's message (with "did you mean" suggestions for typos) and
/// a hint to --help; errors a user can cause while a command runs print one line. Both exit with code 1.
/// </summary>
internal static class SampleCommandLine
{
    /// <summary>The name in usage lines (the assembly name).</summary>
    public const string Name = "nfnet-samples";

    public static FashionMnistSampleCommand Create()
    {
        var root = new FashionMnistSampleCommand();
        root.Subcommands.Add(new TrainCommand());
        root.Subcommands.Add(new PredictCommand());
        root.Subcommands.Add(new EvaluateCommand());
        root.Subcommands.Add(new BenchCommand());
        root.Subcommands.Add(new ScoringBenchCommand());
        root.Subcommands.Add(new TransferDemoCommand());
        root.Subcommands.Add(new SmallData.SmallDataBenchCommand());
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static int Run(string[] args) => Invoke(Create().Parse(args), Console.Out, Console.Error);

    /// <summary>Runs a parsed command line (help and parse errors go to the given writers).</summary>
    public static int Invoke(ParseResult result, TextWriter output, TextWriter error)
    {
        if (result.Action is ParseErrorAction parseError)
        {
            // The message and its suggestions are enough; the full help follows one --help away.
            parseError.ShowHelp = false;
            // Suggestions go with the errors to stderr, so stdout stays clean for tools that read it.
            var code = result.Invoke(new InvocationConfiguration { Output = error, Error = error });
            error.WriteLine($"Run '{CommandPath(result)} --help' for the options.");
            return code;
        }
        try
        {
            var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
            return result.Invoke(configuration);
        }
        catch (Exception e) when (UserFacingError.Describe(e) is { } message)
        {
            // One line, never wrapped; red on a terminal, like the parser's own errors.
            var red = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
            error.WriteLine(red ? $"\u001b[31mError: {message}\u001b[0m" : $"Error: {message}");
            return 1;
        }
    }

    private static string CommandPath(ParseResult result)
    {
        var names = new List<string>();
        for (var command = result.CommandResult; command is not null; command = command.Parent as CommandResult)
            names.Add(command.Parent is null ? Name : command.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}

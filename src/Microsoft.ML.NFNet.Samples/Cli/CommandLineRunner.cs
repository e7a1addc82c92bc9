using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>
/// Runs a System.CommandLine command line the way the dotnet CLI does: parse errors print the parser's message (with
/// "did you mean" suggestions for typos) and a hint to --help; errors a user can cause while a command runs print one
/// line. Both exit with code 1, on stderr, so stdout carries only results.
/// </summary>
public static class CommandLineRunner
{
    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    /// <param name="root">The root command.</param>
    /// <param name="name">The program's name in usage lines and hints.</param>
    /// <param name="args">The command line.</param>
    public static int Run(RootCommand root, string name, string[] args)
    {
        // A file or pipe has no width: Spectre.Console would wrap tables and long lines at 80 columns, mid-value.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = 240;
        return Invoke(root.Parse(args), name, Console.Out, Console.Error);
    }

    /// <summary>Runs a parsed command line (help and parse errors go to the given writers).</summary>
    public static int Invoke(ParseResult result, string name, TextWriter output, TextWriter error)
    {
        if (result.Action is ParseErrorAction parseError)
        {
            // The message and its suggestions are enough; the full help follows one --help away.
            parseError.ShowHelp = false;
            var code = result.Invoke(new InvocationConfiguration { Output = error, Error = error });
            error.WriteLine($"Run '{CommandPath(result, name)} --help' for the options.");
            return code;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserFacingError.Describe(e) is { } message)
        {
            // One line, never wrapped; red on a terminal, like the parser's own errors.
            var red = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
            error.WriteLine(red ? $"\u001b[31mError: {message}\u001b[0m" : $"Error: {message}");
            return 1;
        }
    }

    private static string CommandPath(ParseResult result, string name)
    {
        var names = new List<string>();
        for (var command = result.CommandResult; command is not null; command = command.Parent as CommandResult)
            names.Add(command.Parent is null ? name : command.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}

using Microsoft.ML.NFNet.Samples.Benchmarks;
using Microsoft.ML.NFNet.Samples.Cli;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples;

internal static class Program
{
    private static readonly HashSet<string> Flags = new(StringComparer.OrdinalIgnoreCase) { "help", "h" };

    public static int Main(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0].ToLowerInvariant() : "";
        var rest = command.Length > 0 ? args.Skip(1) : args;
        try
        {
            var line = new CommandArguments(rest, Flags);
            return command switch
            {
                "bench" => line.Help ? PrintHelp(BenchCommand.Help) : BenchCommand.Run(line),
                _ => throw new UsageException($"Unknown command '{command}'."),
            };
        }
        catch (UsageException e)
        {
            AnsiConsole.MarkupLine($"[red]Error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }

    private static int PrintHelp(string help)
    {
        Console.WriteLine(help);
        return 0;
    }
}

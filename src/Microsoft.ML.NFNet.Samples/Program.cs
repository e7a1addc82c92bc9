using Microsoft.ML.NFNet.Samples.Benchmarks;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Commands;
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
                "" when line.Help => PrintHelp(TopLevelHelp.Text),
                "" => FashionMnistSampleCommand.Run(line),
                "train" => line.Help ? PrintHelp(TrainCommand.Help) : TrainCommand.Run(line),
                "predict" => line.Help ? PrintHelp(PredictCommand.Help) : PredictCommand.Run(line),
                "evaluate" => line.Help ? PrintHelp(EvaluateCommand.Help) : EvaluateCommand.Run(line),
                "bench" => line.Help ? PrintHelp(BenchCommand.Help) : BenchCommand.Run(line),
                "help" => PrintHelp(TopLevelHelp.Text),
                _ => throw new UsageException($"Unknown command '{command}'."),
            };
        }
        catch (Exception e) when (UserFacingError.Describe(e) is { } message)
        {
            AnsiConsole.MarkupLine($"[red]Error: {Markup.Escape(message)}[/]");
            return 1;
        }
    }

    private static int PrintHelp(string help)
    {
        Console.WriteLine(help);
        return 0;
    }
}

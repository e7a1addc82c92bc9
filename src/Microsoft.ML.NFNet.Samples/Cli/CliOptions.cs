using System.CommandLine;
using System.CommandLine.Parsing;

namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>
/// Options whose tokens are parsed and checked by the parser itself, so that a bad value is reported, with the option's
/// name, before anything runs (and <c>--help</c> shows the default).
/// </summary>
public static class CliOptions
{
    /// <summary>An option with one value; <paramref name="parse"/> throws <see cref="FormatException"/> (or
    /// <see cref="UsageException"/>, whose message already names the option) for a bad token.</summary>
    public static Option<T> Single<T>(string name, string description, Func<string, T> parse, string helpName,
        Func<T>? defaultValue = null, params string[] aliases)
    {
        var option = new Option<T>(name, aliases) { Description = description, HelpName = helpName };
        if (defaultValue is not null)
            option.DefaultValueFactory = _ => defaultValue();
        option.CustomParser = result => Parse(result, name, parse);
        return option;
    }

    /// <summary>An option taking a comma-separated list ("--modes infer,train"), or several tokens, or repetitions.
    /// Empty when absent: the caller applies <paramref name="defaultText"/>'s default (help would show a list default as
    /// "a|b", which reads like alternatives).</summary>
    public static Option<T[]> List<T>(string name, string description, Func<string, T> parseItem, string helpName,
        string defaultText, params string[] aliases)
    {
        var option = new Option<T[]>(name, aliases)
        {
            Description = $"{description} [default: {defaultText}]",
            HelpName = helpName,
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        option.CustomParser = result => result.Tokens
            .SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(item => Parse(result, name, parseItem, item))
            .ToArray();
        return option;
    }

    private static T Parse<T>(ArgumentResult result, string name, Func<string, T> parse, string? token = null)
    {
        var text = token ?? result.Tokens[^1].Value;
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            // Name the option as the user wrote it (an alias such as --variant for --variants).
            var written = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? name;
            result.AddError($"{written}: {e.Message}");
        }
        catch (UsageException e)
        {
            result.AddError(e.Message);
        }
        return default!;
    }
}

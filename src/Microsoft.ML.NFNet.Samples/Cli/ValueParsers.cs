using System.Globalization;

namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>
/// Turns one command-line token into a value or throws <see cref="FormatException"/> with what was wrong (the option's
/// name is added by <see cref="CliOptions"/>). Numbers are read in the invariant culture: "0.1" means the same everywhere.
/// </summary>
public static class ValueParsers
{
    public static Func<string, int> Int(int min = int.MinValue, int max = int.MaxValue) => text =>
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new FormatException($"'{text}' is not a whole number.");
        return value < min || value > max ? throw new FormatException(RangeProblem(text, min, max)) : value;
    };

    public static Func<string, double> Double(double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool maxExclusive = false) => text =>
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new FormatException($"'{text}' is not a number.");
        if (value < min || value > max || (maxExclusive && value == max))
            throw new FormatException($"must be in [{min.ToString(CultureInfo.InvariantCulture)}, " +
                $"{max.ToString(CultureInfo.InvariantCulture)}{(maxExclusive ? ")" : "]")}; got {text}.");
        return value;
    };

    /// <summary>One of a fixed set of names (case-insensitive); the error lists them.</summary>
    public static Func<string, T> OneOf<T>(IReadOnlyDictionary<string, T> names) => text =>
        names.TryGetValue(text.Trim(), out var value)
            ? value
            : throw new FormatException($"'{text}' is not one of {string.Join(", ", names.Keys)}.");

    public static string ExistingFile(string text) =>
        File.Exists(text) ? text : throw new FormatException($"file '{text}' does not exist.");

    public static string ExistingFolder(string text) =>
        Directory.Exists(text) ? text : throw new FormatException($"folder '{text}' does not exist.");

    private static string RangeProblem(string text, int min, int max) => (min, max) switch
    {
        (_, int.MaxValue) => $"must be at least {min}; got {text}.",
        (int.MinValue, _) => $"must be at most {max}; got {text}.",
        _ => $"must be between {min} and {max}; got {text}.",
    };
}

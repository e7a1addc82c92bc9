namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>Parsed "--name value" options and positional arguments of one command.</summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string?> options = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> consumed = new(StringComparer.OrdinalIgnoreCase);

    public CommandArguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                Positional.Add(arg);
                continue;
            }
            var name = arg[2..];
            var equals = name.IndexOf('=');
            if (equals >= 0)
                options[name[..equals]] = name[(equals + 1)..];
            else if (flags.Contains(name))
                options[name] = null;
            else if (i + 1 < list.Count)
                options[name] = list[++i];
            else
                throw new UsageException($"Option --{name} needs a value.");
        }
    }

    public List<string> Positional { get; } = [];

    public bool Help => Has("help") || Has("h");

    public bool Has(string name)
    {
        consumed.Add(name);
        return options.ContainsKey(name);
    }

    public string? String(string name)
    {
        consumed.Add(name);
        return options.TryGetValue(name, out var value) ? value : null;
    }

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int fallback) => Parse(name, fallback, int.TryParse);

    public double Double(string name, double fallback) => Parse(name, fallback,
        (string s, out double v) => double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out v));

    /// <summary>Comma-separated list, e.g. "--batch 1,8".</summary>
    public IReadOnlyList<string> List(string name, params string[] fallback) =>
        String(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? fallback;

    /// <summary>Fails on options the command did not read, so typos are reported instead of ignored.</summary>
    public void RejectUnknown()
    {
        var unknown = options.Keys.Where(k => !consumed.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}. Use --help.");
    }

    private delegate bool TryParser<T>(string text, out T value);

    private T Parse<T>(string name, T fallback, TryParser<T> parse)
    {
        var text = String(name);
        if (text is null)
            return fallback;
        return parse(text, out var value) ? value : throw new UsageException($"--{name}: '{text}' is not a valid {typeof(T).Name}.");
    }
}

/// <summary>A mistake in the command line: reported as one line, with the command's help.</summary>
internal sealed class UsageException(string message) : Exception(message);

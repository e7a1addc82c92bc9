namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Reads an NFNet variant name on the command line.</summary>
internal static class VariantNames
{
    /// <summary>The name as <see cref="NFNetConfig.Variant"/> accepts it; a <see cref="FormatException"/> lists the known ones.</summary>
    public static string Parse(string text) =>
        NFNetConfig.KnownVariants.Contains(text.Trim(), StringComparer.OrdinalIgnoreCase)
            ? text.Trim()
            : throw new FormatException($"unknown architecture '{text}'. Known: {string.Join(", ", NFNetConfig.KnownVariants)}.");
}

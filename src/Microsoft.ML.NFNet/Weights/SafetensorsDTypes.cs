using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>The safetensors dtype names this library reads and writes, with their TorchSharp types and sizes.</summary>
internal static class SafetensorsDTypes
{
    private static readonly (string Name, torch.ScalarType Type, int Size)[] Table =
    [
        ("BOOL", torch.ScalarType.Bool, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("I8", torch.ScalarType.Int8, 1),
        ("I16", torch.ScalarType.Int16, 2),
        ("I32", torch.ScalarType.Int32, 4),
        ("I64", torch.ScalarType.Int64, 8),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("F32", torch.ScalarType.Float32, 4),
        ("F64", torch.ScalarType.Float64, 8),
    ];

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames { get; } = string.Join(", ", Table.Select(e => e.Name));

    public static bool TryParse(string name, out torch.ScalarType type, out int size)
    {
        foreach (var entry in Table)
        {
            // Ordinal: the format's dtype names are case-sensitive.
            if (string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                (type, size) = (entry.Type, entry.Size);
                return true;
            }
        }
        (type, size) = (default, 0);
        return false;
    }

    public static bool TryGetName(torch.ScalarType type, out string name, out int size)
    {
        foreach (var entry in Table)
        {
            if (entry.Type == type)
            {
                (name, size) = (entry.Name, entry.Size);
                return true;
            }
        }
        (name, size) = (string.Empty, 0);
        return false;
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The SHA-256 of every entry of a checkpoint zip, stored in its own entry and checked before anything is restored:
/// the zip format's CRC-32 is not verified when .NET reads an entry, and the optimizer state has no checksum of its
/// own, so without this a damaged byte would resume silently from different momentum buffers.
/// </summary>
internal static class CheckpointChecksums
{
    public const string EntryName = "checksums.json";

    /// <summary>Writes <paramref name="write"/>'s bytes to a new entry and returns their SHA-256 (lower-case hex).</summary>
    public static string WriteEntry(ZipArchive zip, string name, CompressionLevel level, Action<Stream> write)
    {
        using var sha = SHA256.Create();
        using (var entry = zip.CreateEntry(name, level).Open())
        using (var hashing = new CryptoStream(entry, sha, CryptoStreamMode.Write, leaveOpen: true))
            write(hashing);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    /// <summary>Adds the entry that lists <paramref name="hashes"/>.</summary>
    public static void Record(ZipArchive zip, IReadOnlyDictionary<string, string> hashes)
    {
        using var stream = zip.CreateEntry(EntryName).Open();
        JsonSerializer.Serialize(stream, new SortedDictionary<string, string>(hashes.ToDictionary(), StringComparer.Ordinal));
    }

    /// <summary>Checks that the checkpoint lists exactly its entries and that each one's bytes hash as recorded.</summary>
    /// <exception cref="InvalidDataException">An entry is missing, unlisted or damaged (named).</exception>
    public static void Verify(ZipArchive zip)
    {
        var listing = zip.GetEntry(EntryName) ?? throw new InvalidDataException(
            $"it has no '{EntryName}' (it was written by an earlier version of the library, or the file is damaged)");
        Dictionary<string, string> recorded;
        using (var stream = listing.Open())
            recorded = JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? throw new InvalidDataException($"'{EntryName}' is empty");
        var present = zip.Entries.Where(e => e.FullName != EntryName).Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        if (!present.SetEquals(recorded.Keys))
            throw new InvalidDataException(
                $"its entries ({string.Join(", ", present.Order(StringComparer.Ordinal))}) are not those '{EntryName}' lists " +
                $"({string.Join(", ", recorded.Keys.Order(StringComparer.Ordinal))})");
        foreach (var (name, hash) in recorded)
        {
            using var stream = zip.GetEntry(name)!.Open();
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, hash, StringComparison.Ordinal))
                throw new InvalidDataException($"the SHA-256 of its '{name}' is {actual}, the checkpoint records {hash}");
        }
    }
}

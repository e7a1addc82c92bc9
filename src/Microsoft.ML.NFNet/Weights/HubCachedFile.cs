using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Whether a file in the cache (a snapshot, through its link, or a blob) still holds what it should: the size the hub
/// announced, and the sha256 the hub announced or the blob's name is. Hashing a large file costs seconds, so a file's
/// hash is computed once per process and again only when its size or modification time changes.
/// </summary>
internal static partial class HubCachedFile
{
    private const int BufferSize = 1 << 20;
    private static readonly ConcurrentDictionary<string, Fingerprint> Hashes = new(StringComparer.Ordinal);

    /// <summary>Null when the file is whole; else what is wrong with it, for a message.</summary>
    /// <param name="path">The file, or a link to it.</param>
    /// <param name="size">The size the hub announced, or null (offline).</param>
    /// <param name="sha256">The sha256 the hub announced, or null: then the blob's name, where it is a sha256.</param>
    /// <param name="cancellationToken">Checked between the reads of the hash.</param>
    public static string? FindDamage(string path, long? size, string? sha256, CancellationToken cancellationToken = default)
    {
        try
        {
            if (Resolve(path) is not { Exists: true } target)
                return "it is missing";
            if (size is { } expectedSize && target.Length != expectedSize)
                return $"it holds {target.Length:N0} bytes, not the {expectedSize:N0} the hub announced";
            var expected = sha256 ?? (Sha256Name().IsMatch(target.Name) ? target.Name.ToLowerInvariant() : null);
            if (expected is null)
                return null; // nothing more to compare with (a plain file without a known hash)
            var actual = Sha256Of(target, cancellationToken);
            return actual == expected ? null : $"its sha256 is {actual}, not {expected}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be read ({e.Message})";
        }
    }

    /// <summary>Records the hash computed while the file downloaded, so the next check does not read it again.</summary>
    public static void Remember(string path, string sha256)
    {
        if (Resolve(path) is { Exists: true } target)
            Hashes[target.FullName] = new Fingerprint(target.Length, target.LastWriteTimeUtc, sha256);
    }

    private static FileInfo? Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
    }

    private static string Sha256Of(FileInfo file, CancellationToken cancellationToken)
    {
        var (length, modified) = (file.Length, file.LastWriteTimeUtc); // as before the read: a change while hashing shows next time
        if (Hashes.TryGetValue(file.FullName, out var known) && known.Length == length && known.LastWriteUtc == modified)
            return known.Sha256;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize))
        {
            var buffer = new byte[BufferSize];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, read);
            }
        }
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        Hashes[file.FullName] = new Fingerprint(length, modified, sha);
        return sha;
    }

    /// <summary>What a file looked like when its hash was computed.</summary>
    private sealed record Fingerprint(long Length, DateTime LastWriteUtc, string Sha256);

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Name();
}

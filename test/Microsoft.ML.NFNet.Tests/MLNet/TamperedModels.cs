using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// The checked-in format-2 model zip (tiny ECA architecture, 3 classes) and ways to damage it: flip stored bits, or
/// rewrite one of the NFNet component's streams and update the SHA-256 the main stream records for it, so that only
/// the check under test can notice.
/// </summary>
internal static class TamperedModels
{
    public const string ComponentFolder = "TransformerChain/Transform_000/Model/";
    public const string MainStream = ComponentFolder + "Model.key";

    /// <summary>ML.NET's ModelHeader is 0x100 bytes; the component's own data (class count first) follows it.</summary>
    private const int ModelDataStart = 0x100;

    private static readonly string Folder = Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-2");

    public static byte[] Zip() => File.ReadAllBytes(Path.Combine(Folder, "model.zip"));

    public static byte[] FormatOneZip() => File.ReadAllBytes(Path.Combine(Folder, "..", "format-1", "model.zip"));

    public static ReadOnlyMemory<byte>[] Images() =>
        [.. Directory.GetFiles(Folder, "image-*").Order(StringComparer.Ordinal).Select(path => (ReadOnlyMemory<byte>)File.ReadAllBytes(path))];

    // One context for all loads: creating one costs more than loading the tiny model.
    private static readonly MLContext Context = new();

    /// <summary>Loads a model zip the way applications do.</summary>
    public static ITransformer Load(byte[] zip)
    {
        using var stream = new MemoryStream(zip);
        lock (Context)
            return Context.Model.Load(stream, out _);
    }

    /// <summary>The probabilities the model in <paramref name="zip"/> gives the fixture's images.</summary>
    public static float[][] Scores(byte[] zip) => TestImages.Parameters(Load(zip)).PredictProbabilities(Images());

    /// <summary>Rewrites stream <paramref name="stream"/> of the NFNet component and records the new bytes' SHA-256 in
    /// the main stream, as if the file had been saved that way.</summary>
    public static byte[] RewriteStream(byte[] zip, string stream, Func<byte[], byte[]> rewrite)
    {
        string? oldHash = null, newHash = null;
        var rewritten = RewriteEntry(zip, ComponentFolder + stream, bytes =>
        {
            var result = rewrite(bytes);
            oldHash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            newHash = Convert.ToHexStringLower(SHA256.HashData(result));
            return result;
        });
        return RewriteEntry(rewritten, MainStream, main => ReplaceAscii(main, oldHash!, newHash!));
    }

    /// <summary>Rewrites the class count, the first int of the component's main stream.</summary>
    public static byte[] WithClassCount(byte[] zip, int classCount) => RewriteEntry(zip, MainStream, main =>
    {
        var copy = (byte[])main.Clone();
        Assert.AreEqual(3, BinaryPrimitives.ReadInt32LittleEndian(copy.AsSpan(ModelDataStart)), "the fixture's class count");
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(ModelDataStart), classCount);
        return copy;
    });

    /// <summary>Replaces the only occurrence of <paramref name="from"/> with <paramref name="to"/> (same length).</summary>
    public static byte[] ReplaceAscii(byte[] bytes, string from, string to)
    {
        Assert.AreEqual(from.Length, to.Length);
        var text = Encoding.Latin1.GetString(bytes);
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, at, $"'{from}' not found");
        Assert.AreEqual(-1, text.IndexOf(from, at + 1, StringComparison.Ordinal), $"'{from}' occurs twice");
        var copy = (byte[])bytes.Clone();
        Encoding.ASCII.GetBytes(to).CopyTo(copy, at);
        return copy;
    }

    public static byte[] ReadEntry(byte[] zip, string name)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var stream = archive.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    public static byte[] RewriteEntry(byte[] zip, string name, Func<byte[], byte[]> rewrite)
    {
        using var stream = new MemoryStream();
        stream.Write(zip);
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.GetEntry(name) ?? throw new AssertFailedException($"The zip has no entry '{name}'.");
            byte[] content;
            using (var reader = entry.Open())
            using (var buffer = new MemoryStream())
            {
                reader.CopyTo(buffer);
                content = buffer.ToArray();
            }
            entry.Delete();
            using var writer = archive.CreateEntry(name).Open();
            writer.Write(rewrite(content));
        }
        return stream.ToArray();
    }

    /// <summary>The exception and its causes, outermost first.</summary>
    public static IEnumerable<Exception> Chain(Exception e)
    {
        for (var cause = e; cause is not null; cause = cause.InnerException)
            yield return cause;
    }
}

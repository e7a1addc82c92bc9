using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>A damaged or too-new model file fails to load with a managed exception that says what is wrong.</summary>
[TestClass]
public class BrokenModelTests
{
    private const string ModelSignature = NFNetModelParameters.ModelSignature;
    private const string WeightsEntry = NFNetModelParameters.WeightsStreamName;

    [TestMethod]
    public void TruncatedZipThrowsAFormatException()
    {
        var bytes = SavedModel();

        var e = Assert.ThrowsExactly<FormatException>(() => Load(bytes[..(bytes.Length / 2)]));
        StringAssert.Contains(e.Message, "zip archive");
    }

    [TestMethod]
    public void TruncatedWeightsThrowAFormatException()
    {
        var bytes = RewriteEntry(SavedModel(), (name, _) => name.EndsWith("/" + WeightsEntry), weights => weights[..(weights.Length / 2)]);

        // ML.NET wraps a component's load error in one InvalidOperationException per enclosing component.
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Load(bytes));
        StringAssert.Contains(Cause<FormatException>(e).Message, $"'{WeightsEntry}' stream of the model is corrupt or truncated");
    }

    [TestMethod]
    public void ModelFromAFutureFormatVersionThrowsAFormatExceptionNamingTheLibrary()
    {
        var bytes = RewriteEntry(SavedModel(), IsNFNetModelHeader, header =>
        {
            // ModelHeader: ModelVerWritten at 0x48 and ModelVerReadable at 0x4C, after the 8-byte ModelSignature.
            BitConverter.TryWriteBytes(header.AsSpan(0x48), 0x00030001u);
            BitConverter.TryWriteBytes(header.AsSpan(0x4C), 0x00030001u);
            return header;
        });

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Load(bytes));
        StringAssert.Contains(Cause<FormatException>(e).Message, "saved by a newer version of Microsoft.ML.NFNet");
    }

    private static T Cause<T>(Exception e) where T : Exception
    {
        for (var cause = e; cause != null; cause = cause.InnerException)
        {
            if (cause is T found)
                return found;
        }
        throw new AssertFailedException($"No {typeof(T).Name} among the causes of:\n{e}");
    }

    [TestMethod]
    public void CorruptArchitectureThrowsAFormatException()
    {
        var bytes = RewriteEntry(SavedModel(), (name, _) => name.EndsWith("/" + NFNetModelParameters.ArchitectureStreamName),
            json => json[..(json.Length / 2)]);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Load(bytes));
        StringAssert.Contains(Cause<FormatException>(e).Message, $"'{NFNetModelParameters.ArchitectureStreamName}' stream of the model is corrupt");
    }

    // The checked-in format-2 model (SavedModels/format-2): every test damages a copy.
    private static byte[] SavedModel() => TamperedModels.Zip();

    private static void Load(byte[] modelBytes)
    {
        using var stream = new MemoryStream(modelBytes);
        new MLContext().Model.Load(stream, out _);
    }

    // Every component's Model.key starts with a ModelHeader; the 8-byte ModelSignature at 0x40 says whose it is.
    private static bool IsNFNetModelHeader(string entryName, byte[] content) =>
        entryName.EndsWith("/Model.key") && Encoding.ASCII.GetString(content, 0x40, 8) == ModelSignature;

    private static byte[] RewriteEntry(byte[] zip, Func<string, byte[], bool> select, Func<byte[], byte[]> rewrite)
    {
        using var stream = new MemoryStream();
        stream.Write(zip);
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var rewritten = 0;
            foreach (var entry in archive.Entries.ToArray())
            {
                byte[] content;
                using (var reader = entry.Open())
                using (var buffer = new MemoryStream())
                {
                    reader.CopyTo(buffer);
                    content = buffer.ToArray();
                }
                if (!select(entry.FullName, content))
                    continue;
                var name = entry.FullName;
                entry.Delete();
                using var writer = archive.CreateEntry(name).Open();
                writer.Write(rewrite(content));
                rewritten++;
            }
            Assert.AreEqual(1, rewritten, "expected exactly one entry of the NFNet model to rewrite");
        }
        return stream.ToArray();
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.NFNet.Tests;

/// <summary>One entry of a zip file as stored: its name and where its (compressed) bytes lie in the file.</summary>
internal sealed record ZipEntryRange(string Name, long DataStart, long CompressedLength, long LocalHeaderStart);

/// <summary>
/// Where each entry's bytes are inside a zip file, read from the central directory (APPNOTE 4.3.12-4.3.16), so a test
/// can damage the stored bytes of one entry exactly as a bad disk sector would.
/// </summary>
internal static class ZipLayout
{
    public static IReadOnlyList<ZipEntryRange> Read(byte[] zip)
    {
        var end = FindEndOfCentralDirectory(zip);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(end + 10));
        var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16));
        var entries = new List<ZipEntryRange>(count);
        for (var i = 0; i < count; i++)
        {
            var header = zip.AsSpan(offset);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != 0x02014b50)
                throw new InvalidDataException($"No central directory header at {offset}.");
            var compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            var local = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            var name = Encoding.UTF8.GetString(header.Slice(46, nameLength));
            var localHeader = zip.AsSpan(local);
            var dataStart = local + 30 + BinaryPrimitives.ReadUInt16LittleEndian(localHeader[26..])
                            + BinaryPrimitives.ReadUInt16LittleEndian(localHeader[28..]);
            entries.Add(new ZipEntryRange(name, dataStart, compressed, local));
            offset += 46 + nameLength + extraLength + commentLength;
        }
        return entries;
    }

    private static int FindEndOfCentralDirectory(byte[] zip)
    {
        for (var i = zip.Length - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x06054b50)
                return i;
        }
        throw new InvalidDataException("No end of central directory record.");
    }
}

using System.Buffers.Binary;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// A QOI encoder written for these tests from the specification (qoiformat.org), using every chunk type, so the
/// decoder is checked against files it did not write. Counts the chunks it wrote, so a test can show all were used.
/// </summary>
internal static class TestQoiEncoder
{
    public static byte[] Encode(int width, int height, byte[] rgba, int channels, out Dictionary<string, int> chunkCounts)
    {
        var counts = new Dictionary<string, int> { ["rgb"] = 0, ["rgba"] = 0, ["index"] = 0, ["diff"] = 0, ["luma"] = 0, ["run"] = 0 };
        var output = new List<byte>();
        output.AddRange("qoif"u8.ToArray());
        var size = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(size, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(size.AsSpan(4), (uint)height);
        output.AddRange(size);
        output.Add((byte)channels);
        output.Add(0); // sRGB

        var index = new (byte R, byte G, byte B, byte A)[64];
        (byte R, byte G, byte B, byte A) previous = (0, 0, 0, 255);
        var run = 0;
        var pixelCount = width * height;
        for (var i = 0; i < pixelCount; i++)
        {
            var pixel = (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], channels == 4 ? rgba[4 * i + 3] : (byte)255);
            if (pixel == previous)
            {
                run++;
                if (run == 62 || i == pixelCount - 1)
                {
                    output.Add((byte)(0xC0 | (run - 1)));
                    counts["run"]++;
                    run = 0;
                }
                continue;
            }
            if (run > 0)
            {
                output.Add((byte)(0xC0 | (run - 1)));
                counts["run"]++;
                run = 0;
            }
            var slot = (pixel.Item1 * 3 + pixel.Item2 * 5 + pixel.Item3 * 7 + pixel.Item4 * 11) % 64;
            if (index[slot] == pixel)
            {
                output.Add((byte)slot);
                counts["index"]++;
            }
            else
            {
                index[slot] = pixel;
                if (pixel.Item4 != previous.A)
                {
                    output.AddRange(new byte[] { 0xFF, pixel.Item1, pixel.Item2, pixel.Item3, pixel.Item4 });
                    counts["rgba"]++;
                }
                else
                {
                    var dr = (sbyte)(pixel.Item1 - previous.R);
                    var dg = (sbyte)(pixel.Item2 - previous.G);
                    var db = (sbyte)(pixel.Item3 - previous.B);
                    int drDg = (sbyte)(dr - dg), dbDg = (sbyte)(db - dg);
                    if (dr is >= -2 and <= 1 && dg is >= -2 and <= 1 && db is >= -2 and <= 1)
                    {
                        output.Add((byte)(0x40 | (dr + 2) << 4 | (dg + 2) << 2 | (db + 2)));
                        counts["diff"]++;
                    }
                    else if (dg is >= -32 and <= 31 && drDg is >= -8 and <= 7 && dbDg is >= -8 and <= 7)
                    {
                        output.Add((byte)(0x80 | (dg + 32)));
                        output.Add((byte)((drDg + 8) << 4 | (dbDg + 8)));
                        counts["luma"]++;
                    }
                    else
                    {
                        output.AddRange(new byte[] { 0xFE, pixel.Item1, pixel.Item2, pixel.Item3 });
                        counts["rgb"]++;
                    }
                }
            }
            previous = pixel;
        }
        output.AddRange(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 });
        chunkCounts = counts;
        return output.ToArray();
    }
}

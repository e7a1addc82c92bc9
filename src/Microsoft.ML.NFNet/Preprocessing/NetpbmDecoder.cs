using System.Buffers.Binary;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A strict decoder for PBM, PGM and PPM (Netpbm P1–P6: plain and binary, 1-bit, 8-bit and 16-bit, any maxval).
/// </summary>
/// <remarks>
/// ImageSharp 2.1 reads these formats, but wrongly for valid files: it skips binary samples that look like whitespace
/// or '#' after the header (a PGM whose first sample is 10 decodes as black), fills truncated data with zeros, and
/// rescales a maxval other than 255 or 65,535 by an integer factor (maxval 100 comes out at most 200). Hence this decoder.
/// Samples map to 8 bits as round(v · 255 / maxval), the sample's fraction of full intensity as the Netpbm
/// specification defines it and as PIL converts PPM; PBM's 1 is black. Bytes after the first image are ignored.
/// </remarks>
internal static class NetpbmDecoder
{
    /// <summary>Decodes a Netpbm image whose header declares a size within <paramref name="limit"/>.</summary>
    /// <exception cref="InvalidImageException">The header is corrupt or unsupported, the image is too large, or the data is
    /// truncated or holds a sample over the maxval.</exception>
    public static RgbaPixels Decode(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        var header = NetpbmHeader.Read(encoded);
        limit.ThrowIfUnacceptable(header.Width, header.Height);
        var pixels = new RgbaPixels((int)header.Width, (int)header.Height);
        try
        {
            var output = new Output(pixels.Bytes, header.Channels, Levels(header));
            if (header.IsPlain)
                DecodePlain(encoded, header, output);
            else if (header.IsBitmap)
                DecodeBinaryBitmap(encoded, header, output);
            else
                DecodeBinary(encoded, header, output);
            return pixels;
        }
        catch
        {
            pixels.Dispose();
            throw;
        }
    }

    private static void DecodePlain(ReadOnlySpan<byte> encoded, NetpbmHeader header, Output output)
    {
        var sampleCount = header.Width * header.Height * header.Channels;
        var position = header.DataOffset;
        for (long sample = 0; sample < sampleCount; sample++)
        {
            NetpbmHeader.SkipWhitespaceAndComments(encoded, ref position);
            if (position >= encoded.Length)
                throw new InvalidImageException(
                    $"The {header.Name} data is truncated: the file ends after {sample:N0} of {sampleCount:N0} samples.");
            int value;
            if (header.IsBitmap)
            {
                // Plain PBM digits need no separator: "0110" is four pixels.
                value = encoded[position++] - '0';
                if (value is not (0 or 1))
                    throw Corrupt(header, $"'{(char)encoded[position - 1]}' at byte {position - 1:N0} is not a pixel (0 or 1)");
            }
            else
            {
                var start = position;
                value = 0;
                while (position < encoded.Length && encoded[position] is >= (byte)'0' and <= (byte)'9' && value <= header.MaxValue)
                    value = value * 10 + (encoded[position++] - '0');
                if (position == start || (position < encoded.Length && !NetpbmHeader.IsWhitespace(encoded[position]) &&
                                          encoded[position] != '#' && value <= header.MaxValue))
                    throw Corrupt(header, $"the sample at byte {start:N0} is not a decimal number");
                if (value > header.MaxValue)
                    throw Corrupt(header, $"the sample at byte {start:N0} is over the maxval of {header.MaxValue:N0}");
            }
            output.Store(sample, value);
        }
    }

    private static void DecodeBinary(ReadOnlySpan<byte> encoded, NetpbmHeader header, Output output)
    {
        var bytesPerSample = header.MaxValue > byte.MaxValue ? 2 : 1;
        var sampleCount = header.Width * header.Height * header.Channels;
        var data = RequireData(encoded, header, sampleCount * bytesPerSample);
        for (long sample = 0; sample < sampleCount; sample++)
        {
            int value = bytesPerSample == 1 ? data[(int)sample] : BinaryPrimitives.ReadUInt16BigEndian(data[(int)(sample * 2)..]);
            if (value > header.MaxValue)
                throw Corrupt(header, $"sample {sample:N0} is {value:N0}, over the maxval of {header.MaxValue:N0}");
            output.Store(sample, value);
        }
    }

    private static void DecodeBinaryBitmap(ReadOnlySpan<byte> encoded, NetpbmHeader header, Output output)
    {
        var width = (int)header.Width;
        var rowBytes = (width + 7) / 8; // each row starts on a byte, most significant bit first
        var data = RequireData(encoded, header, rowBytes * header.Height);
        for (var y = 0; y < header.Height; y++)
        for (var x = 0; x < width; x++)
            output.Store((long)y * width + x, (data[y * rowBytes + x / 8] >> (7 - x % 8)) & 1);
    }

    private static ReadOnlySpan<byte> RequireData(ReadOnlySpan<byte> encoded, NetpbmHeader header, long byteCount)
    {
        var available = encoded.Length - header.DataOffset;
        if (available < byteCount)
            throw new InvalidImageException(
                $"The {header.Name} data is truncated: the header declares {header.Width:N0}×{header.Height:N0} pixels, " +
                $"{byteCount:N0} bytes of samples, but only {available:N0} bytes follow the header.");
        return encoded.Slice(header.DataOffset, (int)byteCount);
    }

    /// <summary>The 8-bit level of every sample value: round(v · 255 / maxval) with halves up; for PBM, 1 is black.</summary>
    private static byte[] Levels(NetpbmHeader header)
    {
        if (header.IsBitmap)
            return [255, 0];
        var levels = new byte[header.MaxValue + 1];
        for (var value = 0; value < levels.Length; value++)
            levels[value] = (byte)((value * 510L + header.MaxValue) / (2L * header.MaxValue));
        return levels;
    }

    /// <summary>Writes samples, in file order, as 8-bit RGBA; a gray sample fills R, G and B.</summary>
    private readonly ref struct Output(Span<byte> rgba, int channels, byte[] levels)
    {
        private readonly Span<byte> rgba = rgba;

        public void Store(long sample, int value)
        {
            var level = levels[value];
            var offset = (int)(sample / channels * RgbaPixels.BytesPerPixel);
            if (channels == 1)
                (rgba[offset], rgba[offset + 1], rgba[offset + 2]) = (level, level, level);
            else
                rgba[offset + (int)(sample % 3)] = level;
            rgba[offset + 3] = 255;
        }
    }

    private static InvalidImageException Corrupt(NetpbmHeader header, string what) => new($"The {header.Name} data is corrupt: {what}.");
}

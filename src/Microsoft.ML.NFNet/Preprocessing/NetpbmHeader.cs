namespace Microsoft.ML.NFNet;

/// <summary>
/// The header of a PBM, PGM or PPM file (Netpbm formats P1–P6): magic number, width, height and, except for PBM, the
/// maxval, as whitespace-separated decimal tokens with '#' comments between them.
/// </summary>
internal readonly record struct NetpbmHeader(char Kind, long Width, long Height, int MaxValue, int DataOffset)
{
    private const int MaxDigits = 10;

    /// <summary>Plain (ASCII) formats P1–P3 hold decimal samples; P4–P6 hold binary ones.</summary>
    public bool IsPlain => Kind <= '3';

    /// <summary>PBM (P1, P4): one bit per pixel, 1 for black.</summary>
    public bool IsBitmap => Kind is '1' or '4';

    /// <summary>Samples per pixel: 3 for PPM, 1 for PBM and PGM.</summary>
    public int Channels => Kind is '3' or '6' ? 3 : 1;

    /// <summary>"PBM", "PGM" or "PPM", for messages.</summary>
    public string Name => IsBitmap ? "PBM" : Channels == 1 ? "PGM" : "PPM";

    /// <summary>Netpbm's whitespace: space, tab, line feed, vertical tab, form feed, carriage return.</summary>
    public static bool IsWhitespace(byte value) => value is (byte)' ' or (byte)'\t' or (byte)'\n' or 0x0B or 0x0C or (byte)'\r';

    /// <summary>Reads and checks the header.</summary>
    /// <exception cref="InvalidImageException">The header is truncated, corrupt, or of a variant we do not read.</exception>
    public static NetpbmHeader Read(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 2 || encoded[0] != 'P' || encoded[1] is < (byte)'1' or > (byte)'7')
            throw new InvalidImageException("The Netpbm header is corrupt: the file does not start with P1 to P6.");
        var kind = (char)encoded[1];
        if (kind == '7')
            throw new InvalidImageException(
                "The image is a PAM file (Netpbm P7), a variant that is not supported; convert it to PNG, TIFF or PPM.");
        var name = kind is '1' or '4' ? "PBM" : kind is '2' or '5' ? "PGM" : "PPM";
        var position = 2;
        var width = ReadNumber(encoded, ref position, "width", name);
        var height = ReadNumber(encoded, ref position, "height", name);
        var maxValue = 1;
        if (kind is not ('1' or '4'))
        {
            var declared = ReadNumber(encoded, ref position, "maxval", name);
            if (declared is < 1 or > ushort.MaxValue)
                throw new InvalidImageException(
                    $"The {name} header is corrupt: the maxval is {declared:N0}; it must be between 1 and 65,535.");
            maxValue = (int)declared;
        }
        // Exactly one whitespace byte ends the header; binary samples follow it directly (and may look like whitespace).
        if (position >= encoded.Length)
            throw new InvalidImageException($"The {name} data is truncated: the file ends right after the header, before any pixel.");
        if (!IsWhitespace(encoded[position]))
            throw new InvalidImageException(
                $"The {name} header is corrupt: its last number must be followed by one whitespace character (byte {position:N0}).");
        return new NetpbmHeader(kind, width, height, maxValue, position + 1);
    }

    private static long ReadNumber(ReadOnlySpan<byte> encoded, ref int position, string field, string name)
    {
        SkipWhitespaceAndComments(encoded, ref position);
        if (position >= encoded.Length)
            throw new InvalidImageException($"The {name} header is truncated: the file ends before the {field}.");
        var start = position;
        long value = 0;
        while (position < encoded.Length && encoded[position] is >= (byte)'0' and <= (byte)'9' && position - start < MaxDigits)
            value = value * 10 + (encoded[position++] - '0');
        if (position == start || (position < encoded.Length && !IsWhitespace(encoded[position]) && encoded[position] != '#'))
            throw new InvalidImageException(
                $"The {name} header is corrupt: the {field} at byte {start:N0} is not a decimal number of at most {MaxDigits} digits.");
        return value;
    }

    /// <summary>Skips whitespace and comments ('#' to the end of the line).</summary>
    public static void SkipWhitespaceAndComments(ReadOnlySpan<byte> encoded, ref int position)
    {
        while (position < encoded.Length)
        {
            if (encoded[position] == '#')
                while (position < encoded.Length && encoded[position] is not ((byte)'\n' or (byte)'\r'))
                    position++;
            else if (IsWhitespace(encoded[position]))
                position++;
            else
                return;
        }
    }
}

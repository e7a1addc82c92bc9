using System.Buffers;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Decoded pixels as stored: 8-bit RGBA rows, top to bottom, in a pooled buffer, with the EXIF orientation the file
/// asks for (not yet applied). Dispose to return the buffer.
/// </summary>
internal sealed class RgbaPixels : IDisposable
{
    /// <summary>Bytes per decoded pixel: R, G, B, A.</summary>
    public const int BytesPerPixel = 4;

    private byte[]? buffer;

    /// <summary>Rents a buffer for <paramref name="width"/>×<paramref name="height"/> pixels (checked by the caller).</summary>
    public RgbaPixels(int width, int height, int orientation = 1)
    {
        Width = width;
        Height = height;
        Orientation = orientation is >= 1 and <= 8 ? orientation : 1; // an out-of-range tag means "as stored"
        buffer = ArrayPool<byte>.Shared.Rent(checked(width * height * BytesPerPixel));
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>EXIF orientation, 1 (upright) to 8; the numbering of <c>SKEncodedOrigin</c>.</summary>
    public int Orientation { get; }

    /// <summary>The pixels, <see cref="Width"/> × <see cref="Height"/> × 4 bytes.</summary>
    public Span<byte> Bytes => (buffer ?? throw new ObjectDisposedException(nameof(RgbaPixels)))
        .AsSpan(0, Width * Height * BytesPerPixel);

    public void Dispose()
    {
        if (buffer is null)
            return;
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = null;
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Decoded pixels as stored: 8-bit RGBA rows, top to bottom, in a libtorch <c>[H, W, 4]</c> tensor, with the EXIF
/// orientation the file asks for (not yet applied). Dispose to free the memory.
/// </summary>
/// <remarks>
/// The pixels live in native memory, not in a pooled managed array: the decoded tensor is the one the preprocessing
/// reads (no copy), and a large image's memory goes back to the operating system when the last tensor over it is
/// disposed. A pool would keep the largest buffer each thread ever rented, so one burst of large uploads would leave
/// gigabytes behind.
/// </remarks>
internal sealed class RgbaPixels : IDisposable
{
    /// <summary>Bytes per decoded pixel: R, G, B, A.</summary>
    public const int BytesPerPixel = 4;

    private Tensor? pixels;

    /// <summary>Allocates <paramref name="width"/>×<paramref name="height"/> uninitialised pixels (size checked by the caller).</summary>
    public RgbaPixels(int width, int height, int orientation = 1)
    {
        Width = width;
        Height = height;
        Orientation = orientation is >= 1 and <= 8 ? orientation : 1; // an out-of-range tag means "as stored"
        pixels = torch.empty([height, width, BytesPerPixel], ScalarType.Byte);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>EXIF orientation, 1 (upright) to 8; the numbering of <c>SKEncodedOrigin</c>.</summary>
    public int Orientation { get; }

    /// <summary>The pixels, <see cref="Width"/> × <see cref="Height"/> × 4 bytes.</summary>
    public Span<byte> Bytes => Tensor.bytes;

    /// <summary>The start of the pixels in native memory, for decoders that write there themselves.</summary>
    public IntPtr Address => Tensor.storage<byte>().data_ptr();

    /// <summary>The <c>[H, W, 4]</c> uint8 tensor that holds the pixels; valid until <see cref="Dispose"/>, though a view
    /// made from it keeps the memory alive on its own.</summary>
    public Tensor Tensor => pixels ?? throw new ObjectDisposedException(nameof(RgbaPixels));

    public void Dispose()
    {
        pixels?.Dispose();
        pixels = null;
    }
}

using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Turns encoded image bytes into RGB pixels. SkiaSharp's codec (the decoder ML.NET's <c>MLImage</c> uses) reads JPEG,
/// PNG (8- and 16-bit), BMP, GIF, WEBP, ICO and WBMP; what it cannot open goes to SixLabors.ImageSharp 2.1, which decodes
/// TIFF (first page; 8- and 16-bit gray, RGB and RGBA, and the other variants ImageSharp reads) and refuses every other
/// format by name (<see cref="UnsupportedImageFormats"/>). See docs/image-formats.md.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Alpha is dropped without compositing, like PIL's <c>convert('RGB')</c>: the colour stored under a
/// transparent pixel is what the network sees. (<c>MLImage</c> would premultiply, darkening translucent pixels.)</item>
/// <item>The EXIF orientation tag (JPEG, PNG, WEBP, TIFF) is applied, so pixels are upright as an image viewer shows
/// them. PIL (and so timm) ignores it unless asked; for ImageNet-style data the tag is almost always absent and both agree.</item>
/// <item>Embedded colour profiles are ignored (no colour conversion), as in PIL. CMYK JPEGs use the inverted Adobe
/// convention: R = C·K / 255 on the stored values, as Skia and PIL both do. CMYK TIFF is not supported (ImageSharp 2.1).</item>
/// <item>16-bit PNG and TIFF samples keep their high byte (v >> 8), as PIL does for 16-bit colour. Grayscale fills R, G
/// and B.</item>
/// <item>Animated GIF / WEBP and multi-page TIFF: the first frame.</item>
/// </list>
/// </remarks>
internal static class ImageDecoder
{
    private const int BytesPerPixel = 4;

    /// <summary>
    /// Decodes <paramref name="encoded"/> to a uint8 tensor <c>[3, H, W]</c> (RGB). The result is a strided view over
    /// an RGBA buffer (channel stride 1), which the resize kernels read at full speed; call
    /// <see cref="Tensor.contiguous"/> if a packed layout is needed.
    /// </summary>
    /// <exception cref="InvalidImageException">The bytes are empty, not an image in a supported format, corrupt,
    /// truncated, or the image has more pixels or a more elongated shape than <paramref name="limit"/> allows.</exception>
    public static Tensor DecodeRgb(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        if (encoded.IsEmpty)
            throw new InvalidImageException("The image is empty (zero bytes).");

        using var scope = torch.NewDisposeScope();
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        var (stored, origin) = codec is null
            ? (ImageSharpDecoder.Decode(encoded, limit, out var orientation), (SKEncodedOrigin)orientation)
            : (DecodeWithSkia(codec, limit, encoded.Length), codec.EncodedOrigin);
        return ApplyOrientation(stored, origin).permute(2, 0, 1).narrow(0, 0, 3).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="DecodeRgb(ReadOnlySpan{byte}, ImageSizeLimit)"/> with a pixel limit and the default
    /// aspect-ratio limit (<see cref="ImagePreprocessingOptions.DefaultMaxAspectRatio"/>).</summary>
    public static Tensor DecodeRgb(ReadOnlySpan<byte> encoded, long maxPixels) => DecodeRgb(encoded, ImageSizeLimit.Pixels(maxPixels));

    /// <summary>The RGBA pixels <c>[H, W, 4]</c> as stored, once the header's size has passed the limit.</summary>
    private static Tensor DecodeWithSkia(SKCodec codec, ImageSizeLimit limit, int encodedLength)
    {
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        limit.ThrowIfUnacceptable(width, height);

        // Unpremultiplied RGBA with no colour space: raw stored colours, no alpha compositing, no profile conversion.
        // Skia writes straight into the tensor the preprocessing reads: no pooled managed buffer outlives a burst of
        // large images (a server kept 2.3 GB after eight 62-megapixel decodes that way).
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var stored = torch.empty([height, width, BytesPerPixel], ScalarType.Byte);
        ThrowIfFailed(codec.GetPixels(info, stored.storage<byte>().data_ptr()), encodedLength);
        return stored;
    }

    private static void ThrowIfFailed(SKCodecResult result, int encodedLength)
    {
        switch (result)
        {
            case SKCodecResult.Success:
                return;
            case SKCodecResult.IncompleteInput:
                throw new InvalidImageException(
                    $"The image data is truncated: the decoder ran out of bytes after {encodedLength:N0} bytes.");
            case SKCodecResult.ErrorInInput:
                throw new InvalidImageException("The image data is corrupt: the decoder found invalid data in the pixels.");
            default:
                throw new InvalidImageException($"The image could not be decoded (decoder result: {result}).");
        }
    }

    /// <summary>Rotates / mirrors an <c>[H, W, C]</c> tensor so that it is upright, as the EXIF orientation asks (a value
    /// outside 1–8 means "as stored").</summary>
    private static Tensor ApplyOrientation(Tensor hwc, SKEncodedOrigin origin) => origin switch
    {
        SKEncodedOrigin.TopRight => hwc.flip(1),
        SKEncodedOrigin.BottomRight => hwc.flip(0, 1),
        SKEncodedOrigin.BottomLeft => hwc.flip(0),
        SKEncodedOrigin.LeftTop => hwc.transpose(0, 1),
        SKEncodedOrigin.RightTop => hwc.transpose(0, 1).flip(1), // rotate 90° clockwise
        SKEncodedOrigin.RightBottom => hwc.transpose(0, 1).flip(0, 1),
        SKEncodedOrigin.LeftBottom => hwc.transpose(0, 1).flip(0), // rotate 90° counter-clockwise
        _ => hwc,
    };
}

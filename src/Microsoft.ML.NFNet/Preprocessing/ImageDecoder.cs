using System.Buffers;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Preprocessing;

/// <summary>
/// Turns encoded image bytes (JPEG, PNG, BMP, GIF, WEBP, ICO, WBMP; grayscale, palette, 16-bit, RGBA and CMYK variants)
/// into RGB pixels, through SkiaSharp's codec (the decoder ML.NET's <c>MLImage</c> uses).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Alpha is dropped without compositing, like PIL's <c>convert('RGB')</c>: the colour stored under a
/// transparent pixel is what the network sees. (<c>MLImage</c> would premultiply, darkening translucent pixels.)</item>
/// <item>The EXIF orientation tag is applied, so pixels are upright as an image viewer shows them. PIL (and so timm)
/// ignores it unless asked; for ImageNet-style data the tag is almost always absent and both agree.</item>
/// <item>Embedded colour profiles are ignored (no colour conversion), as in PIL. CMYK JPEGs use the inverted Adobe
/// convention: R = C·K / 255 on the stored values, as Skia and PIL both do.</item>
/// <item>Animated GIF / WEBP: the first frame.</item>
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
    /// <exception cref="InvalidImageException">The bytes are empty, not a readable image, corrupt, truncated, or the image
    /// has more than <paramref name="maxPixels"/> pixels.</exception>
    public static Tensor DecodeRgb(ReadOnlySpan<byte> encoded, long maxPixels)
    {
        if (encoded.IsEmpty)
            throw new InvalidImageException("The image is empty (zero bytes).");

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidImageException(
            $"The {encoded.Length:N0} bytes are not an image in a supported format (JPEG, PNG, BMP, GIF, WEBP), " +
            "or the image header is corrupt.");

        var width = codec.Info.Width;
        var height = codec.Info.Height;
        var pixelCount = (long)width * height;
        if (pixelCount > maxPixels)
            throw new InvalidImageException(
                $"The image is {width:N0}×{height:N0} = {pixelCount:N0} pixels, more than the limit of {maxPixels:N0} " +
                $"({nameof(ImagePreprocessingOptions)}.{nameof(ImagePreprocessingOptions.MaxImagePixels)}). " +
                "Downscale it first, or raise the limit if the image is genuine.");
        if (pixelCount * BytesPerPixel > Array.MaxLength)
            throw new InvalidImageException($"The image is {width:N0}×{height:N0} pixels, too large to decode in one buffer.");

        // Unpremultiplied RGBA with no colour space: raw stored colours, no alpha compositing, no profile conversion.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var byteCount = (int)(pixelCount * BytesPerPixel);
        var buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            ThrowIfFailed(codec.GetPixels(info, buffer), encoded.Length);
            using var scope = torch.NewDisposeScope();
            var rgba = torch.empty([height, width, BytesPerPixel], ScalarType.Byte);
            buffer.AsSpan(0, byteCount).CopyTo(rgba.bytes);
            var upright = ApplyOrientation(rgba, codec.EncodedOrigin);
            return upright.permute(2, 0, 1).narrow(0, 0, 3).MoveToOuterDisposeScope();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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

    /// <summary>Rotates / mirrors an <c>[H, W, C]</c> tensor so that it is upright, as the EXIF orientation asks.</summary>
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

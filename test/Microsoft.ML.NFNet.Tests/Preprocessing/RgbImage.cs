using System.Runtime.InteropServices;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>A small RGBA test image held as plain arrays, encodable with SkiaSharp.</summary>
internal sealed class RgbImage
{
    public RgbImage(int width, int height, Func<int, int, (byte R, byte G, byte B)> colorAt, Func<int, int, byte>? alphaAt = null)
    {
        Width = width;
        Height = height;
        Rgba = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var (r, g, b) = colorAt(x, y);
            var offset = (y * width + x) * 4;
            Rgba[offset] = r;
            Rgba[offset + 1] = g;
            Rgba[offset + 2] = b;
            Rgba[offset + 3] = alphaAt?.Invoke(x, y) ?? 255;
        }
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Rgba { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            var offset = (y * Width + x) * 4;
            return (Rgba[offset], Rgba[offset + 1], Rgba[offset + 2]);
        }
    }

    /// <summary>A uniformly random image: the worst case for compression, useful for truncation and speed tests.</summary>
    public static RgbImage Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        return new RgbImage(width, height, (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
    }

    public byte[] EncodePng() => Encode(pixmap => pixmap.Encode(SKPngEncoderOptions.Default));

    public byte[] EncodeJpeg(int quality = 100) => Encode(pixmap => pixmap.Encode(new SKJpegEncoderOptions(
        quality, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)));

    public byte[] EncodeLosslessWebp() =>
        Encode(pixmap => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)));

    /// <summary>Grayscale PNG or JPEG of the red channel (Skia writes single-channel files from Gray8 pixels).</summary>
    public byte[] EncodeGray(SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        var gray = new byte[Width * Height];
        for (var i = 0; i < gray.Length; i++)
            gray[i] = Rgba[i * 4];
        Marshal.Copy(gray, 0, bitmap.GetPixels(), gray.Length);
        using var data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    private byte[] Encode(Func<SKPixmap, SKData> encode)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Marshal.Copy(Rgba, 0, bitmap.GetPixels(), Rgba.Length);
        using var pixmap = bitmap.PeekPixels();
        using var data = encode(pixmap);
        return data.ToArray();
    }
}

using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Decode;

/// <summary>
/// Decode time of one photo-sized image (500×375, ImageNet's typical size: smooth gradients plus noise) per format and
/// decoder, on one thread. "DecodeRgb" is the library's entry point (decode and copy into a uint8 tensor); the others
/// are the decoders alone, for comparison (docs/image-formats.md, "Decode speed").
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const int Width = 500, Height = 375;

    /// <summary>One row of the table: a format, a decoder, the encoded bytes and how to decode them.</summary>
    public sealed record Case(string Format, string Decoder, byte[] Bytes, Action<byte[]> Run)
    {
        public override string ToString() => $"{Format}, {Decoder}";
    }

    [ParamsSource(nameof(Cases))]
    public Case Image { get; set; } = null!;

    public static IEnumerable<Case> Cases()
    {
        using var photo = Photo();
        using var photo16 = photo.CloneAs<Rgba64>();
        var png = Encode(photo, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
        var png16 = Encode(photo16, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
        var tiffLzw = Encode(photo, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.Lzw });
        var tiff = Encode(photo, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.None });
        static void DecodeRgb(byte[] bytes) => ImageDecoder.DecodeRgb(bytes, long.MaxValue).Dispose();
        return
        [
            new("PNG 8-bit", "DecodeRgb (SkiaSharp)", png, DecodeRgb),
            new("PNG 8-bit", "SkiaSharp SKCodec alone", png, SkiaOnly),
            new("PNG 8-bit", "ImageSharp Load<Rgba32> alone", png, b => SixLabors.ImageSharp.Image.Load<Rgba32>(b).Dispose()),
            new("PNG 16-bit", "DecodeRgb (SkiaSharp)", png16, DecodeRgb),
            new("PNG 16-bit", "ImageSharp Load<Rgba64> alone", png16, b => SixLabors.ImageSharp.Image.Load<Rgba64>(b).Dispose()),
            new("TIFF LZW", "DecodeRgb (ImageSharp)", tiffLzw, DecodeRgb),
            new("TIFF none", "DecodeRgb (ImageSharp)", tiff, DecodeRgb),
        ];
    }

    [GlobalSetup]
    public void OneThread() => TorchSharp.torch.set_num_threads(1);

    [Benchmark]
    public void Decode() => Image.Run(Image.Bytes);

    private static Image<Rgba32> Photo()
    {
        var random = new Random(1);
        var photo = new Image<Rgba32>(Width, Height);
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
            photo[x, y] = new Rgba32((byte)(x * 255 / Width + random.Next(-6, 7)), (byte)(y * 255 / Height + random.Next(-6, 7)),
                (byte)((x + y) % 256), 255);
        return photo;
    }

    private static byte[] Encode(SixLabors.ImageSharp.Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static void SkiaOnly(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        using var bitmap = new SKBitmap(new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        codec.GetPixels(bitmap.Info, bitmap.GetPixels());
    }
}

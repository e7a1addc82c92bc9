using System.Diagnostics;
using Microsoft.ML.NFNet;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

// Decode time of one photo-sized image (500×375, ImageNet's typical size) per format and decoder: median of 40 runs
// after 5 warm-up runs, on one thread. "DecodeRgb" is the library's entry point (decode + copy into a uint8 tensor).
const int width = 500, height = 375, warmup = 5, runs = 40;
var random = new Random(1);
using var photo = new Image<Rgba32>(width, height);
for (var y = 0; y < height; y++)
for (var x = 0; x < width; x++)
    photo[x, y] = new Rgba32((byte)(x * 255 / width + random.Next(-6, 7)), (byte)(y * 255 / height + random.Next(-6, 7)),
        (byte)((x + y) % 256), 255);
using var photo16 = photo.CloneAs<Rgba64>();

byte[] Save(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
{
    using var stream = new MemoryStream();
    image.Save(stream, encoder);
    return stream.ToArray();
}

var png = Save(photo, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
var png16 = Save(photo16, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
var tiffLzw = Save(photo, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.Lzw });
var tiff = Save(photo, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.None });

void SkiaOnly(byte[] bytes)
{
    using var data = SKData.CreateCopy(bytes);
    using var codec = SKCodec.Create(data);
    using var bitmap = new SKBitmap(new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
    codec.GetPixels(bitmap.Info, bitmap.GetPixels());
}

var cases = new (string Format, string Decoder, byte[] Bytes, Action<byte[]> Decode)[]
{
    ("PNG 8-bit", "DecodeRgb (SkiaSharp)", png, b => ImageDecoder.DecodeRgb(b, long.MaxValue).Dispose()),
    ("PNG 8-bit", "SkiaSharp SKCodec alone", png, SkiaOnly),
    ("PNG 8-bit", "ImageSharp Load<Rgba32> alone", png, b => Image.Load<Rgba32>(b).Dispose()),
    ("PNG 16-bit", "DecodeRgb (SkiaSharp)", png16, b => ImageDecoder.DecodeRgb(b, long.MaxValue).Dispose()),
    ("PNG 16-bit", "ImageSharp Load<Rgba64> alone", png16, b => Image.Load<Rgba64>(b).Dispose()),
    ("TIFF LZW", "DecodeRgb (ImageSharp)", tiffLzw, b => ImageDecoder.DecodeRgb(b, long.MaxValue).Dispose()),
    ("TIFF none", "DecodeRgb (ImageSharp)", tiff, b => ImageDecoder.DecodeRgb(b, long.MaxValue).Dispose()),
};

Console.WriteLine($"{width}×{height} RGB, median of {runs} runs after {warmup} warm-up, {Environment.ProcessorCount} logical CPUs");
Console.WriteLine($"{"format",-11} {"decoder",-30} {"bytes",9} {"median ms",10} {"min ms",8} {"MP/s",6}");
foreach (var (format, decoder, bytes, decode) in cases)
{
    for (var i = 0; i < warmup; i++)
        decode(bytes);
    var times = new double[runs];
    for (var i = 0; i < runs; i++)
    {
        var start = Stopwatch.GetTimestamp();
        decode(bytes);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    var median = (times[runs / 2 - 1] + times[runs / 2]) / 2;
    Console.WriteLine($"{format,-11} {decoder,-30} {bytes.Length,9:N0} {median,10:F2} {times[0],8:F2} {width * height / median / 1000,6:F1}");
}

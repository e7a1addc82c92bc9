using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// <see cref="EncodedImageSize.Read"/>: the size a header declares, for every format the decoder reads, without decoding
/// pixels — so that a server can refuse a pixel bomb by its header with a limit of its own.
/// </summary>
[TestClass]
public class EncodedImageSizeTests
{
    [TestMethod]
    public void ItIsTheSizeTheDecoderProducesForEveryFormat()
    {
        var image = RgbImage.Noise(23, 17, seed: 3);
        var files = new (string Format, byte[] Bytes)[]
        {
            ("PNG", image.EncodePng()),
            ("JPEG", image.EncodeJpeg()),
            ("WEBP", image.EncodeLosslessWebp()),
            ("BMP", HandWrittenImages.Bmp(image)),
            ("GIF", HandWrittenImages.Gif(23, 17, [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 0, 255)], (x, y) => (x + y) % 4)),
            ("TIFF", HandWrittenTiff.Write(new TiffPage(23, 17, 3, 8, new ushort[23 * 17 * 3]))),
        };
        foreach (var (format, bytes) in files)
        {
            using var scope = NewDisposeScope();
            var decoded = ImageDecoder.DecodeRgb(bytes, ImagePreprocessingOptions.DefaultMaxImagePixels);

            var size = EncodedImageSize.Read(bytes);

            Assert.AreEqual((decoded.shape[2], decoded.shape[1]), (size.Width, size.Height), format);
            Assert.AreEqual(23L * 17, size.Pixels, format);
        }
    }

    [TestMethod]
    public void AHeaderClaimingAnEnormousSizeIsReadWithoutItsPixels()
    {
        // Each file has the header of a huge image and at most one row of data: decoding it would fail as truncated.
        var files = new (string Format, byte[] Bytes, long Width, long Height)[]
        {
            ("PNG", HandWrittenImages.PngClaimingSize(7_900, 7_900), 7_900, 7_900),
            ("TIFF", HandWrittenTiff.ClaimingSize(60_000, 50_000), 60_000, 50_000),
        };
        foreach (var (format, bytes, width, height) in files)
        {
            var size = EncodedImageSize.Read(bytes);

            Assert.AreEqual((width, height), (size.Width, size.Height), format);
        }
    }

    [TestMethod]
    public void BytesThatAreNoImageAreAnInvalidImageException()
    {
        var empty = Assert.ThrowsExactly<InvalidImageException>(() => EncodedImageSize.Read([]));
        var text = Assert.ThrowsExactly<InvalidImageException>(() => EncodedImageSize.Read("name,label\n"u8));
        var tga = Assert.ThrowsExactly<InvalidImageException>(() => EncodedImageSize.Read(Tga(RgbImage.Noise(5, 4, seed: 1))));

        StringAssert.Contains(empty.Message, "empty");
        StringAssert.Contains(text.Message, "not an image in a supported format");
        StringAssert.Contains(tga.Message, "TGA", "a refused format is refused by name, as when decoding");
    }

    private static byte[] Tga(RgbImage image)
    {
        using var tga = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(image.Rgba, image.Width, image.Height);
        using var stream = new MemoryStream();
        tga.Save(stream, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.None });
        return stream.ToArray();
    }
}

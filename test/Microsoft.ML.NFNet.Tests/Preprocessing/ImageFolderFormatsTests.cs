using SixLabors.ImageSharp.Formats.Tga;
using static Microsoft.ML.NFNet.Tests.Preprocessing.ImageFormatDecodingTests;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// An image folder picks up every decodable format by extension and each file decodes to its pixels; files of formats
/// that are refused (TGA, Netpbm, QOI) are picked up too, so reading one fails with a message that names the file's
/// format and says to convert it, instead of the file being left out unseen.
/// </summary>
[TestClass]
public class ImageFolderFormatsTests
{
    [TestMethod]
    public void ImageFolderReadsEveryDecodableFormatAndNamesTheRefusedOnes()
    {
        var image = RgbImage.Noise(5, 4, seed: 3);
        var samples = Enumerable.Range(0, 20).SelectMany(i => { var (r, g, b) = image[i % 5, i / 5]; return new ushort[] { r, g, b }; }).ToArray();
        var files = new Dictionary<string, byte[]>
        {
            ["a.bmp"] = HandWrittenImages.Bmp(image),
            ["b.ico"] = HandWrittenImages.Ico(5, 4, image.EncodePng()),
            ["c.png"] = image.EncodePng(),
            ["d.tif"] = HandWrittenTiff.Write(new TiffPage(5, 4, 3, 8, samples)),
            ["e.TIFF"] = HandWrittenTiff.Write(new TiffPage(5, 4, 3, 8, samples)),
            ["f.webp"] = image.EncodeLosslessWebp(),
        };
        var root = Directory.CreateTempSubdirectory("nfnet-formats-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "noise")).FullName;
            foreach (var (name, bytes) in files)
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image");
            File.WriteAllBytes(Path.Combine(folder, "refused.tga"), Encode(image, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24 }));
            File.WriteAllBytes(Path.Combine(folder, "refused.ppm"), [.. "P6\n5 4\n255\n"u8, .. samples.Select(s => (byte)s)]);

            var source = ImageFolderDataSource.Load(root.FullName);

            CollectionAssert.AreEqual(files.Keys.Concat(["refused.ppm", "refused.tga"]).ToArray(),
                source.Files.Select(f => Path.GetFileName(f.Path)).ToArray(), "notes.txt is not an image file");
            for (var i = 0; i < files.Count; i++)
                DecodedPixels.AssertExact(image, source[i].Encoded.ToArray(), source.Describe(i));
            foreach (var (index, format) in new[] { (files.Count, "Netpbm"), (files.Count + 1, "TGA") })
            {
                var refused = Assert.ThrowsExactly<InvalidImageException>(() => ImageDecoder.DecodeRgb(source[index].Encoded.Span, ImagePreprocessingOptions.DefaultMaxImagePixels).Dispose());
                StringAssert.Contains(refused.Message, format);
                StringAssert.Contains(refused.Message, "PNG");
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}

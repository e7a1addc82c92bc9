using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The refusal of bytes that SkiaSharp cannot open and that are not a classic TIFF: the formats that ImageSharp 2.1
/// reads with known defects, or that neither library reads, are named with the reason and what to do instead.
/// </summary>
internal static class UnsupportedImageFormats
{
    /// <summary>The formats decoded, for messages.</summary>
    public const string Supported = "JPEG, PNG, BMP, GIF, WEBP, ICO, WBMP, TIFF";

    /// <summary>Throws unless <paramref name="detected"/> (ImageSharp's reading of the signature) is a classic TIFF.</summary>
    /// <exception cref="InvalidImageException">Anything else, with the format's name when it is known.</exception>
    public static void ThrowUnlessTiff(ReadOnlySpan<byte> encoded, IImageFormat? detected)
    {
        // BigTIFF's 64-bit strip offsets stay inside ImageSharp 2.1, so a truncated one cannot be told from a black band.
        var isBigTiff = encoded.StartsWith("II+\0"u8) || encoded.StartsWith("MM\0+"u8);
        if (detected is TiffFormat && !isBigTiff)
            return;
        throw detected switch
        {
            TiffFormat => Refused("BigTIFF",
                "ImageSharp 2.1 fills truncated data with zeros, and a BigTIFF's strip offsets cannot be checked against the file length"),
            TgaFormat => Refused("TGA",
                "ImageSharp 2.1's TGA decoder fills truncated data with zeros instead of failing, and misreads sides over 32,767 pixels"),
            PbmFormat => Refused("PBM/PGM/PPM (Netpbm)",
                "ImageSharp 2.1's Netpbm decoder misreads valid files (binary samples that look like whitespace, 16-bit byte " +
                "order, a maxval other than 255 or 65,535) and fills truncated data with zeros"),
            _ when encoded.StartsWith("qoif"u8) => Refused("QOI", "neither SkiaSharp nor ImageSharp 2.1 reads it"),
            _ => new InvalidImageException(
                $"The {encoded.Length:N0} bytes are not an image in a supported format ({Supported}), or the image header " +
                "is corrupt. If it is an image in another format, convert it to PNG."),
        };
    }

    private static InvalidImageException Refused(string format, string why) =>
        new($"The image is a {format} file, a format that is not supported: {why}. Convert it to PNG.");
}

using System.Runtime.InteropServices;
using Microsoft.ML.NFNet;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Decodes TIFF and TGA, which SkiaSharp cannot read, through SixLabors.ImageSharp 2.1: header first (the size limit
/// is checked on <c>Identify</c>'s size, before any pixel is allocated), then the pixels, with every failure of the
/// library turned into an <see cref="InvalidImageException"/> that says what was wrong.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>TIFF: the first page (IFD) only. Samples of more than 8 bits keep their high byte (v >> 8), as PIL and libpng
/// do for 16-bit colour, so a 16-bit TIFF and a 16-bit PNG of the same samples decode alike; 32-bit and float samples
/// are first scaled to 16 bits by ImageSharp. The EXIF orientation tag is applied by the caller.</item>
/// <item>Alpha is dropped without compositing; grayscale fills R, G and B.</item>
/// <item>ImageSharp 2.1 fills truncated TGA and TIFF data with zeros; the TGA header is checked against the file length
/// before decoding and the TIFF strips after, so a truncated file is an error, not a black region.</item>
/// </list>
/// </remarks>
internal static class ImageSharpDecoder
{
    // Only the decoders we dispatch to, and a small pool: decoded images are copied out and the buffers released.
    // ImageSharp's own limit (4 GiB per image) is above what ImageSizeLimit lets through (2 GiB of RGBA, so at most
    // 4 GiB of 16-bit RGBA); its refusals are translated all the same.
    private static readonly Configuration DefaultConfiguration = CreateConfiguration(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 64 });

    private static readonly TiffDecoder Tiff = new() { DecodingMode = FrameDecodingMode.First };
    private static readonly TgaDecoder Tga = new();

    /// <summary>Decodes a TIFF or TGA image whose size is within <paramref name="limit"/>.</summary>
    /// <exception cref="InvalidImageException">The image is too large, truncated, corrupt, or a variant ImageSharp does not read.</exception>
    public static RgbaPixels Decode(ReadOnlySpan<byte> encoded, EncodedImageFormat format, ImageSizeLimit limit) =>
        Decode(encoded, format, limit, DefaultConfiguration);

    /// <summary>An ImageSharp configuration with our decoders and the given allocator (tests pass a small limit).</summary>
    internal static Configuration CreateConfiguration(MemoryAllocatorOptions allocator) =>
        new(new TiffConfigurationModule(), new TgaConfigurationModule()) { MemoryAllocator = MemoryAllocator.Create(allocator) };

    /// <summary>Decodes with <paramref name="configuration"/> instead of the shared one.</summary>
    internal static RgbaPixels Decode(ReadOnlySpan<byte> encoded, EncodedImageFormat format, ImageSizeLimit limit, Configuration configuration)
    {
        if (format == EncodedImageFormat.Tga)
        {
            // The header gives the size without ImageSharp, and the packets' extent shows whether data is missing.
            if (!TgaHeader.TryRead(encoded, out var header))
                throw new InvalidImageException("The TGA header is corrupt.");
            limit.ThrowIfUnacceptable(header.Width, header.Height);
            header.ThrowIfDataIsMissing(encoded);
            return Decode<Rgba32>(encoded, Tga, format, limit, configuration);
        }
        if (format == EncodedImageFormat.Tiff)
            return Decode<Rgba64>(encoded, Tiff, format, limit, configuration);
        throw new ArgumentOutOfRangeException(nameof(format), format, "ImageSharp decodes only TIFF and TGA here.");
    }

    private static RgbaPixels Decode<TPixel>(
        ReadOnlySpan<byte> encoded, IImageDecoder decoder, EncodedImageFormat format, ImageSizeLimit limit, Configuration configuration)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var name = NameOf(format);
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        var (width, height) = Identify(stream, decoder, name, configuration);
        limit.ThrowIfUnacceptable(width, height);

        stream.Position = 0;
        try
        {
            using var image = decoder.Decode<TPixel>(configuration, stream, CancellationToken.None);
            var exif = image.Frames.RootFrame.Metadata.ExifProfile ?? image.Metadata.ExifProfile;
            if (format == EncodedImageFormat.Tiff)
                ThrowIfStripsAreMissing(exif, encoded.Length);
            var pixels = new RgbaPixels(image.Width, image.Height, exif?.GetValue(ExifTag.Orientation)?.Value ?? 1);
            try
            {
                CopyPixels(image, pixels);
                return pixels;
            }
            catch
            {
                pixels.Dispose();
                throw;
            }
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Translate(e, name, "pixels");
        }
    }

    /// <summary>The width and height the TIFF's first page or the TGA header declares, without decoding pixels.</summary>
    /// <exception cref="InvalidImageException">The header cannot be read.</exception>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded, EncodedImageFormat format)
    {
        if (format == EncodedImageFormat.Tga)
            return TgaHeader.TryRead(encoded, out var header)
                ? (header.Width, header.Height)
                : throw new InvalidImageException("The TGA header is corrupt.");
        if (format != EncodedImageFormat.Tiff)
            throw new ArgumentOutOfRangeException(nameof(format), format, "ImageSharp decodes only TIFF and TGA here.");
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        return Identify(stream, Tiff, NameOf(format), DefaultConfiguration);
    }

    private static (int Width, int Height) Identify(Stream stream, IImageDecoder decoder, string name, Configuration configuration)
    {
        try
        {
            var info = ((IImageInfoDetector)decoder).Identify(configuration, stream, CancellationToken.None);
            return (info.Width, info.Height);
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Translate(e, name, "header");
        }
    }

    private static string NameOf(EncodedImageFormat format) => format == EncodedImageFormat.Tiff ? "TIFF" : "TGA";

    private static void CopyPixels<TPixel>(Image<TPixel> image, RgbaPixels pixels)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var output = pixels.Bytes;
        var rowBytes = image.Width * RgbaPixels.BytesPerPixel;
        for (var y = 0; y < image.Height; y++)
        {
            var row = output.Slice(y * rowBytes, rowBytes);
            var source = image.DangerousGetPixelRowMemory(y).Span;
            if (typeof(TPixel) == typeof(Rgba32))
                MemoryMarshal.AsBytes(source).CopyTo(row);
            else
            {
                var wide = MemoryMarshal.Cast<TPixel, ushort>(source);
                for (var i = 0; i < row.Length; i++)
                    row[i] = (byte)(wide[i] >> 8); // the high byte, like PIL and libpng for 16-bit samples
            }
        }
    }

    /// <summary>ImageSharp reads a strip's missing bytes as zeros: every strip of the first page must lie inside the file.</summary>
    private static void ThrowIfStripsAreMissing(ExifProfile? exif, long fileLength)
    {
        var offsets = exif?.GetValue(ExifTag.StripOffsets)?.Value;
        var counts = exif?.GetValue(ExifTag.StripByteCounts)?.Value;
        if (offsets is null || counts is null)
            return; // BigTIFF stores them as 64-bit values, which ImageSharp 2.1 keeps internal: not checked
        for (var i = 0; i < Math.Min(offsets.Length, counts.Length); i++)
        {
            var end = (long)(uint)offsets[i] + (uint)counts[i];
            if (end > fileLength)
                throw new InvalidImageException(
                    $"The TIFF image data is truncated: strip {i + 1} of {offsets.Length} ends at byte {end:N0}, " +
                    $"but the file has {fileLength:N0} bytes.");
        }
    }

    private static bool IsLibraryFailure(Exception e) => e is not (InvalidImageException or OutOfMemoryException or OperationCanceledException);

    private static InvalidImageException Translate(Exception e, string name, string part) => e switch
    {
        NotSupportedException => new InvalidImageException(
            $"The {name} image is a variant the decoder (ImageSharp 2.1) does not support: {e.Message} " +
            "Convert it to an 8- or 16-bit RGB or grayscale image (PNG or baseline TIFF).", e),
        // The decoders wrap the allocator's refusal in an InvalidImageContentException.
        InvalidMemoryOperationException or { InnerException: InvalidMemoryOperationException } => new InvalidImageException(
            $"The {name} image is too large for the decoder's memory limit: {(e.InnerException ?? e).Message}", e),
        _ => new InvalidImageException($"The {name} image is corrupt: the decoder could not read its {part} ({e.Message}).", e),
    };
}

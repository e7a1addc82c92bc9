using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Decodes what SkiaSharp cannot open: TIFF, through SixLabors.ImageSharp 2.1, header first (the size limit is checked on
/// <c>Identify</c>'s size, before any pixel is allocated), with every failure of the library turned into an
/// <see cref="InvalidImageException"/> that says what was wrong. Any other format is refused by name
/// (<see cref="UnsupportedImageFormats"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The first page (IFD) only. Samples keep their high byte (v >> 8), as PIL and libpng do for 16-bit colour, so a
/// 16-bit TIFF and a 16-bit PNG of the same samples decode alike; 32-bit and float samples are first scaled to 16 bits by
/// ImageSharp. The caller applies the EXIF orientation.</item>
/// <item>ImageSharp 2.1 fills truncated strips with zeros; every strip's extent is checked against the file length, so
/// a truncated file is an error, not a black region.</item>
/// </list>
/// </remarks>
internal static class ImageSharpDecoder
{
    // A small pool: decoded images are copied out and the buffers released. ImageSharp's own limit (4 GiB per image) is
    // above what ImageSizeLimit lets through (2 GiB of RGBA, so at most 4 GiB of 16-bit RGBA); its refusals are
    // translated all the same.
    private static readonly Configuration DefaultConfiguration = CreateConfiguration(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 64 });

    private static readonly TiffDecoder Tiff = new() { DecodingMode = FrameDecodingMode.First };

    /// <summary>The RGBA pixels <c>[H, W, 4]</c> of a TIFF whose size is within <paramref name="limit"/>, as stored.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="limit">The size limit, checked on the header before decoding.</param>
    /// <param name="orientation">The EXIF orientation the file asks for (1–8), not yet applied.</param>
    /// <exception cref="InvalidImageException">Not a TIFF, or too large, truncated, corrupt, or a variant ImageSharp does
    /// not read.</exception>
    public static Tensor Decode(ReadOnlySpan<byte> encoded, ImageSizeLimit limit, out int orientation) =>
        Decode(encoded, limit, DefaultConfiguration, out orientation);

    /// <summary>
    /// An ImageSharp configuration with the given allocator (tests pass a small limit) and only the TIFF decoder. TGA and
    /// Netpbm are recognised, never decoded, so that they are refused by name.
    /// </summary>
    internal static Configuration CreateConfiguration(MemoryAllocatorOptions allocator)
    {
        var configuration = new Configuration(new TiffConfigurationModule()) { MemoryAllocator = MemoryAllocator.Create(allocator) };
        configuration.ImageFormatsManager.AddImageFormatDetector(new TgaImageFormatDetector());
        configuration.ImageFormatsManager.AddImageFormatDetector(new PbmImageFormatDetector());
        return configuration;
    }

    /// <summary>The width and height a TIFF's header declares (every other format this decoder is asked about is refused
    /// by name, as when decoding).</summary>
    internal static (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded)
    {
        UnsupportedImageFormats.ThrowUnlessTiff(encoded, Image.DetectFormat(DefaultConfiguration, encoded));
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        try
        {
            var info = ((IImageInfoDetector)Tiff).Identify(DefaultConfiguration, stream, CancellationToken.None);
            return (info.Width, info.Height);
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Translate(e, "header");
        }
    }

    /// <summary>Decodes with <paramref name="configuration"/> instead of the shared one.</summary>
    internal static Tensor Decode(ReadOnlySpan<byte> encoded, ImageSizeLimit limit, Configuration configuration, out int orientation)
    {
        UnsupportedImageFormats.ThrowUnlessTiff(encoded, Image.DetectFormat(configuration, encoded));
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        IImageInfo info;
        try
        {
            info = ((IImageInfoDetector)Tiff).Identify(configuration, stream, CancellationToken.None);
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Translate(e, "header");
        }
        limit.ThrowIfUnacceptable(info.Width, info.Height);

        stream.Position = 0;
        try
        {
            using var image = Tiff.Decode<Rgba64>(configuration, stream, CancellationToken.None);
            var exif = image.Frames.RootFrame.Metadata.ExifProfile ?? image.Metadata.ExifProfile;
            ThrowIfStripsAreMissing(exif, encoded.Length);
            orientation = exif?.GetValue(ExifTag.Orientation)?.Value ?? 1;
            return HighBytes(image);
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Translate(e, "pixels");
        }
    }

    /// <summary>The 8-bit RGBA pixels: the high byte of each 16-bit sample, like PIL and libpng.</summary>
    private static Tensor HighBytes(Image<Rgba64> image)
    {
        var stored = torch.empty([image.Height, image.Width, 4], ScalarType.Byte);
        var output = stored.bytes;
        var rowBytes = image.Width * 4;
        for (var y = 0; y < image.Height; y++)
        {
            var row = output.Slice(y * rowBytes, rowBytes);
            var samples = MemoryMarshal.Cast<Rgba64, ushort>(image.DangerousGetPixelRowMemory(y).Span);
            for (var i = 0; i < row.Length; i++)
                row[i] = (byte)(samples[i] >> 8);
        }
        return stored;
    }

    /// <summary>ImageSharp reads a strip's missing bytes as zeros: every strip of the first page must lie inside the file.</summary>
    private static void ThrowIfStripsAreMissing(ExifProfile? exif, long fileLength)
    {
        var offsets = exif?.GetValue(ExifTag.StripOffsets)?.Value;
        var counts = exif?.GetValue(ExifTag.StripByteCounts)?.Value;
        if (offsets is null || counts is null)
            throw new InvalidImageException(
                "The TIFF image declares no strip offsets or byte counts, so its data cannot be checked for truncation. Convert it to PNG.");
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

    private static InvalidImageException Translate(Exception e, string part) => e switch
    {
        NotSupportedException => new InvalidImageException(
            $"The TIFF image is a variant the decoder (ImageSharp 2.1) does not support: {e.Message} " +
            "Convert it to PNG.", e),
        // The decoders wrap the allocator's refusal in an InvalidImageContentException.
        InvalidMemoryOperationException or { InnerException: InvalidMemoryOperationException } => new InvalidImageException(
            $"The TIFF image is too large for the decoder's memory limit: {(e.InnerException ?? e).Message}", e),
        _ => new InvalidImageException($"The TIFF image is corrupt: the decoder could not read its {part} ({e.Message}).", e),
    };
}

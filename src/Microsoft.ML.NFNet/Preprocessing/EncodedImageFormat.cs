namespace Microsoft.ML.NFNet;

/// <summary>The container format of encoded image bytes, as recognised from their first bytes.</summary>
internal enum EncodedImageFormat
{
    /// <summary>No signature we know; left to SkiaSharp, which also reads WBMP and says when it cannot read the bytes.</summary>
    Unknown,
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    /// <summary>Windows icon or cursor.</summary>
    Ico,
    /// <summary>TIFF or BigTIFF, either byte order.</summary>
    Tiff,
    /// <summary>Truevision TGA, recognised from a plausible header (the format has no signature).</summary>
    Tga,
    /// <summary>PBM, PGM or PPM (P1–P6), or PAM (P7), which is recognised only to be rejected clearly.</summary>
    Netpbm,
    /// <summary>The Quite OK Image format.</summary>
    Qoi,
}

namespace Microsoft.ML.NFNet;

/// <summary>The resampling filter used when an image is resized. Both filters are antialiased when downscaling.</summary>
public enum ImageInterpolation
{
    /// <summary>Bicubic (Keys kernel, a = -0.5, as in PIL), the filter NFNet and timm's pretrained weights expect.</summary>
    Bicubic = 0,

    /// <summary>Bilinear (triangle kernel, as in PIL); slightly faster, slightly blurrier.</summary>
    Bilinear = 1,
}

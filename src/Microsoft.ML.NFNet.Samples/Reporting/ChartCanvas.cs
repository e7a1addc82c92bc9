using SkiaSharp;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>
/// A white PNG canvas with text helpers. Charts are drawn with SkiaSharp directly rather than with ScottPlot: ScottPlot
/// 5 needs SkiaSharp 3.x, which would move the SkiaSharp that ML.NET ImageAnalytics and the library's image decoder run
/// on (2.88) to another major version; two small charts are not worth that risk.
/// </summary>
internal sealed class ChartCanvas : IDisposable
{
    private static readonly SKTypeface Typeface = ResolveTypeface();
    private readonly SKSurface surface;

    public ChartCanvas(int width, int height)
    {
        surface = SKSurface.Create(new SKImageInfo(width, height));
        Canvas.Clear(SKColors.White);
    }

    public SKCanvas Canvas => surface.Canvas;

    public void Text(string text, float x, float y, float size, SKTextAlign align = SKTextAlign.Left, bool bold = false,
        SKColor? color = null, float rotateDegrees = 0)
    {
        using var paint = new SKPaint
        {
            Typeface = Typeface, TextSize = size, TextAlign = align, IsAntialias = true, Color = color ?? SKColors.Black,
            FakeBoldText = bold,
        };
        Canvas.Save();
        Canvas.RotateDegrees(rotateDegrees, x, y);
        Canvas.DrawText(text, x, y, paint);
        Canvas.Restore();
    }

    public static SKPaint Stroke(SKColor color, float width, bool dashed = false) => new()
    {
        Color = color, StrokeWidth = width, Style = SKPaintStyle.Stroke, IsAntialias = true,
        PathEffect = dashed ? SKPathEffect.CreateDash([8, 5], 0) : null,
    };

    public static SKPaint Fill(SKColor color) => new() { Color = color, Style = SKPaintStyle.Fill, IsAntialias = true };

    public void SavePng(string path)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    public void Dispose() => surface.Dispose();

    // SkiaSharp's Linux build without fontconfig may have no default font; then use the first sans font on disk.
    private static SKTypeface ResolveTypeface()
    {
        var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        if (typeface.GlyphCount > 0)
            return typeface;
        var fontFile = new[] { "/usr/share/fonts", "/usr/local/share/fonts" }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.ttf", SearchOption.AllDirectories))
            .OrderBy(f => Path.GetFileName(f).Contains("Sans", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .FirstOrDefault();
        return fontFile is null ? typeface : SKTypeface.FromFile(fontFile);
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// Samples the crop of torchvision's <c>RandomResizedCrop</c> (as timm uses it): up to 10 tries of a random area
/// fraction and log-uniform aspect ratio that fit the image, else the largest centred crop within the ratio range.
/// </summary>
internal static class RandomResizedCrop
{
    private const int Attempts = 10;

    public static CropBox Sample(int height, int width, ImagePreprocessingOptions options, Random random)
    {
        var area = (double)height * width;
        var logRatioMin = Math.Log(options.CropRatioMin);
        var logRatioMax = Math.Log(options.CropRatioMax);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var targetArea = area * Uniform(random, options.ResolvedCropScaleMin, options.CropScaleMax);
            var aspectRatio = Math.Exp(Uniform(random, logRatioMin, logRatioMax));
            var cropWidth = (int)Math.Round(Math.Sqrt(targetArea * aspectRatio));
            var cropHeight = (int)Math.Round(Math.Sqrt(targetArea / aspectRatio));
            if (cropWidth > 0 && cropWidth <= width && cropHeight > 0 && cropHeight <= height)
            {
                var top = random.Next(0, height - cropHeight + 1);
                var left = random.Next(0, width - cropWidth + 1);
                return new CropBox(top, left, cropHeight, cropWidth);
            }
        }
        return CentralFallback(height, width, options);
    }

    private static CropBox CentralFallback(int height, int width, ImagePreprocessingOptions options)
    {
        var inputRatio = (double)width / height;
        int cropHeight = height, cropWidth = width;
        if (inputRatio < options.CropRatioMin)
            cropHeight = Math.Max(1, (int)Math.Round(width / options.CropRatioMin));
        else if (inputRatio > options.CropRatioMax)
            cropWidth = Math.Max(1, (int)Math.Round(height * options.CropRatioMax));
        return new CropBox((height - cropHeight) / 2, (width - cropWidth) / 2, cropHeight, cropWidth);
    }

    private static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();
}

namespace Microsoft.ML.NFNet;

/// <summary>Channel-count rounding shared by the architecture builder and the timm config reader.</summary>
internal static class Channels
{
    /// <summary>timm's <c>make_divisible</c>: round to the nearest multiple of <paramref name="divisor"/>, never below it,
    /// and never more than (1 − <paramref name="roundLimit"/>) below <paramref name="value"/>.</summary>
    public static int MakeDivisible(double value, int divisor, double roundLimit = 0.9)
    {
        var rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        if (rounded < roundLimit * value)
            rounded += divisor;
        return rounded;
    }
}

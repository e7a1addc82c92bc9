namespace Microsoft.ML.NFNet;

/// <summary>
/// Draws from Beta(α, β) with a <see cref="Random"/>, so MixUp / CutMix ratios are reproducible from a seed
/// (X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β); Gamma by Marsaglia and Tsang's method).
/// </summary>
internal static class BetaDistribution
{
    public static double Sample(double alpha, double beta, Random random)
    {
        var x = SampleGamma(alpha, random);
        var y = SampleGamma(beta, random);
        var sum = x + y;
        // Both gammas can underflow to 0 for tiny shapes; Beta(α, β) then sits at 0 or 1 with odds α : β.
        return sum > 0 ? x / sum : (random.NextDouble() < alpha / (alpha + beta) ? 1.0 : 0.0);
    }

    private static double SampleGamma(double shape, Random random)
    {
        if (shape < 1)
        {
            // Gamma(k) = Gamma(k + 1) · U^(1/k) keeps the fast k >= 1 method usable for MixUp's typical α = 0.2.
            return SampleGamma(shape + 1, random) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        }
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double normal, v;
            do
            {
                normal = SampleStandardNormal(random);
                v = 1 + c * normal;
            } while (v <= 0);
            v = v * v * v;
            var u = 1 - random.NextDouble();
            if (Math.Log(u) < 0.5 * normal * normal + d - d * v + d * Math.Log(v))
                return d * v;
        }
    }

    private static double SampleStandardNormal(Random random)
    {
        // Box-Muller; 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

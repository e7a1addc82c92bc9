using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Which batch-mixing augmentation was applied to a batch.</summary>
internal enum MixKind
{
    None,
    MixUp,
    CutMix,
}

/// <summary>
/// One batch's mixing decision: the kind, the weight λ of each image's own label, and for CutMix the pasted box
/// (λ is then 1 − box area / image area, after the box was clipped to the image).
/// </summary>
internal readonly record struct BatchMix(MixKind Kind, double Lambda, CropBox Box)
{
    public static readonly BatchMix None = new(MixKind.None, 1.0, default);
}

/// <summary>
/// MixUp and CutMix over a whole batch, with timm's <c>Mixup</c> semantics (mode 'batch', <c>correct_lam=True</c>):
/// image i is mixed with image N−1−i (the batch reversed), one λ per batch, and soft targets
/// <c>λ·onehot(y) + (1−λ)·onehot(reversed y)</c> with label smoothing folded in. An odd batch's middle image is
/// mixed with itself, which leaves it unchanged.
/// </summary>
internal static class BatchMixer
{
    /// <summary>
    /// Draws the mixing decision: with probability <see cref="ImagePreprocessingOptions.MixProbability"/> the batch is
    /// mixed; when both MixUp and CutMix are on, CutMix is chosen with probability
    /// <see cref="ImagePreprocessingOptions.SwitchProbability"/>; λ ~ Beta(α, α) of the chosen method.
    /// </summary>
    public static BatchMix Sample(ImagePreprocessingOptions options, int height, int width, Random random)
    {
        if (!options.MixesBatches || random.NextDouble() >= options.MixProbability)
            return BatchMix.None;

        bool useCutMix;
        var mixUpAlpha = options.ResolvedMixUpAlpha;
        var cutMixAlpha = options.ResolvedCutMixAlpha;
        if (mixUpAlpha > 0 && cutMixAlpha > 0)
            useCutMix = random.NextDouble() < options.SwitchProbability;
        else
            useCutMix = cutMixAlpha > 0;

        var alpha = useCutMix ? cutMixAlpha : mixUpAlpha;
        var lambda = BetaDistribution.Sample(alpha, alpha, random);
        if (lambda >= 1.0)
            return BatchMix.None;
        if (!useCutMix)
            return new BatchMix(MixKind.MixUp, lambda, default);

        var box = CutMixBox(height, width, lambda, random);
        return new BatchMix(MixKind.CutMix, 1.0 - (double)box.Area / ((long)height * width), box);
    }

    /// <summary>Mixes a batch <c>[N, C, H, W]</c> in place as <paramref name="mix"/> says.</summary>
    public static void ApplyInPlace(Tensor images, BatchMix mix)
    {
        using var scope = torch.NewDisposeScope();
        switch (mix.Kind)
        {
            case MixKind.MixUp:
                using (var partnerWeight = (1 - mix.Lambda).ToScalar())
                using (var ownWeight = mix.Lambda.ToScalar())
                {
                    var partner = images.flip(0).mul_(partnerWeight);
                    images.mul_(ownWeight).PlusInPlace(partner);
                }
                break;
            case MixKind.CutMix when mix.Box.Area > 0:
                var region = images.narrow(2, mix.Box.Top, mix.Box.Height).narrow(3, mix.Box.Left, mix.Box.Width);
                region.copy_(region.flip(0)); // flip copies first, so the source is not overwritten while read
                break;
        }
    }

    /// <summary>
    /// timm's <c>mixup_target</c>: float32 <c>[N, classCount]</c> rows of λ·smooth(y) + (1−λ)·smooth(reversed y),
    /// where smooth puts 1 − s + s/classCount on the class and s/classCount elsewhere. Every row sums to 1.
    /// </summary>
    public static Tensor SoftTargets(Tensor labels, int classCount, double lambda, double labelSmoothing)
    {
        using var scope = torch.NewDisposeScope();
        var off = labelSmoothing / classCount;
        var on = 1 - labelSmoothing + off;
        var own = OneHot(labels, classCount, on, off);
        var partner = OneHot(labels.flip(0), classCount, on, off);
        using var ownWeight = lambda.ToScalar();
        using var partnerWeight = (1 - lambda).ToScalar();
        return own.mul_(ownWeight).PlusInPlace(partner.mul_(partnerWeight)).MoveToOuterDisposeScope();
    }

    private static Tensor OneHot(Tensor labels, int classCount, double on, double off)
    {
        using var step = (on - off).ToScalar();
        using var floor = off.ToScalar();
        return nn.functional.one_hot(labels, classCount).to(ScalarType.Float32).mul_(step).PlusInPlace(floor);
    }

    /// <summary>timm's <c>rand_bbox</c>: sides √(1−λ) of the image's, centred anywhere, clipped to the image.</summary>
    private static CropBox CutMixBox(int height, int width, double lambda, Random random)
    {
        var sideFraction = Math.Sqrt(1 - lambda);
        var cutHeight = (int)(height * sideFraction);
        var cutWidth = (int)(width * sideFraction);
        var centerY = random.Next(0, height);
        var centerX = random.Next(0, width);
        var top = Math.Clamp(centerY - cutHeight / 2, 0, height);
        var bottom = Math.Clamp(centerY + cutHeight / 2, 0, height);
        var left = Math.Clamp(centerX - cutWidth / 2, 0, width);
        var right = Math.Clamp(centerX + cutWidth / 2, 0, width);
        return new CropBox(top, left, bottom - top, right - left);
    }
}

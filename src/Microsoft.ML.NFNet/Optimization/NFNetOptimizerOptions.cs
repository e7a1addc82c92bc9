
namespace Microsoft.ML.NFNet;

/// <summary>
/// How an NFNet is optimized: SGD with Nesterov momentum 0.9, weight decay 2·10⁻⁵ on conv and linear weights, AGC with
/// λ = 0.01 and ε = 10⁻³ on everything but the classifier, a linear warm-up to the peak learning rate, then cosine
/// decay to 0. The learning rate and the warm-up are automatic by default (see <see cref="LearningRate"/>);
/// <c>NFNetTrainingOptions.DeepMindImageNet</c> holds the paper's values.
/// </summary>
public sealed record NFNetOptimizerOptions
{
    private static readonly OptionCheck Check = new(nameof(NFNetOptimizerOptions));

    /// <summary>The optimizer (default SGD).</summary>
    public NFNetOptimizerKind Optimizer { get; set; } = NFNetOptimizerKind.Sgd;

    /// <summary>
    /// Peak learning rate, reached at the end of the warm-up (with <see cref="ScaleLearningRateWithBatchSize"/>: the rate
    /// for a batch of 256). Null (default): automatic, chosen by the training engine for the data and batch size.
    /// </summary>
    public double? LearningRate { get; set; }

    /// <summary>
    /// DeepMind's linear scaling rule: the peak rate is <see cref="LearningRate"/> · batch size / 256 (their 0.1 gives 1.6
    /// at batch 4096). Default false: <see cref="LearningRate"/> is the peak rate itself.
    /// </summary>
    public bool ScaleLearningRateWithBatchSize { get; set; }

    /// <summary>SGD momentum (default 0.9).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Whether SGD uses Nesterov momentum (default true).</summary>
    public bool Nesterov { get; set; } = true;

    /// <summary>Weight decay of conv and linear weights (coupled L2 for SGD, decoupled for AdamW; default 2·10⁻⁵); gains,
    /// biases and skip gains are never decayed.</summary>
    public double WeightDecay { get; set; } = 2e-5;

    /// <summary>AGC's λ, the largest allowed ratio of a unit's gradient norm to its weight norm; 0 turns adaptive gradient
    /// clipping off. Null (default): automatic, chosen by the training engine for the batch size (DeepMind's 0.01 is
    /// tuned for batches of thousands; small batches train better with a looser clip); 0.01 where no rule applies.</summary>
    public double? ClippingFactor { get; set; }

    /// <summary>AGC's ε, the floor of the weight norm (default 10⁻³).</summary>
    public double ClippingEps { get; set; } = AdaptiveGradientClipping.DefaultEps;

    /// <summary>Which parameters and units AGC clips (default timm's).</summary>
    internal AgcConvention ClippingConvention { get; set; } = AgcConvention.Timm;

    /// <summary>Length of the linear warm-up in epochs (ignored when <see cref="WarmupSteps"/> is set); a warm-up longer
    /// than the training is cut to the training. Null (default): automatic.</summary>
    public double? WarmupEpochs { get; set; }

    /// <summary>Length of the linear warm-up in steps; null (default) uses <see cref="WarmupEpochs"/>.</summary>
    public long? WarmupSteps { get; set; }

    /// <summary>Decay of the exponential moving average of the weights (the paper uses 0.99999); null (default) keeps no
    /// average.</summary>
    public double? EmaDecay { get; set; }

    /// <summary>Whether AGC is on.</summary>
    internal bool ClipsGradients => ResolvedClippingFactor > 0;

    /// <summary>The clipping factor in effect: the one set or chosen, else DeepMind's 0.01.</summary>
    internal double ResolvedClippingFactor => ClippingFactor ?? AdaptiveGradientClipping.DefaultClipFactor;

    /// <summary>The peak learning rate for <paramref name="batchSize"/>; throws while <see cref="LearningRate"/> is automatic.</summary>
    internal double PeakLearningRate(int batchSize)
    {
        var rate = LearningRate ?? throw new InvalidOperationException(
            $"{nameof(NFNetOptimizerOptions)}.{nameof(LearningRate)} is null (automatic); the training engine chooses it.");
        return ScaleLearningRateWithBatchSize ? WarmupCosineSchedule.BatchScaled(rate, batchSize) : rate;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Check.Defined(Optimizer, nameof(Optimizer));
        if (LearningRate is { } rate)
            Check.Positive(rate, nameof(LearningRate));
        Check.That(Momentum >= 0 && Momentum < 1, nameof(Momentum), Momentum, "must lie in [0, 1)");
        Check.That(!(Nesterov && Optimizer == NFNetOptimizerKind.Sgd && Momentum == 0), nameof(Momentum), Momentum,
            "must be positive for Nesterov momentum; set Nesterov = false for plain SGD");
        Check.NonNegative(WeightDecay, nameof(WeightDecay));
        if (ClippingFactor is { } clip)
            Check.NonNegative(clip, nameof(ClippingFactor), "AGC off");
        Check.NonNegative(ClippingEps, nameof(ClippingEps));
        Check.Defined(ClippingConvention, nameof(ClippingConvention));
        if (WarmupEpochs is { } epochs)
            Check.NonNegative(epochs, nameof(WarmupEpochs));
        if (WarmupSteps is { } steps)
            Check.AtLeast(steps, 0, nameof(WarmupSteps));
        if (EmaDecay is { } decay)
            Check.That(decay > 0 && decay < 1, nameof(EmaDecay), decay, "must lie strictly between 0 and 1 (or be null for no EMA)");
    }
}

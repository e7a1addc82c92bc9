namespace Microsoft.ML.NFNet;

/// <summary>
/// How an NFNet is optimized. The defaults are DeepMind's recipe: SGD with Nesterov momentum 0.9, weight decay 2·10⁻⁵
/// on conv and linear weights, AGC with λ = 0.01 and ε = 10⁻³ on everything but the classifier, peak learning rate
/// 0.1·batch/256 after a 5-epoch linear warm-up, cosine decay to 0.
/// </summary>
public sealed record NFNetOptimizerOptions
{
    /// <summary>The batch-scaled base learning rate of SGD: peak = 0.1 · batch / 256.</summary>
    public const double SgdBaseLearningRate = 0.1;

    /// <summary>The batch-scaled base learning rate of AdamW: peak = 10⁻³ · batch / 256.</summary>
    public const double AdamWBaseLearningRate = 1e-3;

    /// <summary>The optimizer.</summary>
    public NFNetOptimizerKind Optimizer { get; init; } = NFNetOptimizerKind.Sgd;

    /// <summary>Peak learning rate (reached at the end of the warm-up); null scales the optimizer's base rate with the
    /// batch size (<see cref="SgdBaseLearningRate"/>, <see cref="AdamWBaseLearningRate"/>).</summary>
    public double? LearningRate { get; init; }

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Whether SGD uses Nesterov momentum.</summary>
    public bool Nesterov { get; init; } = true;

    /// <summary>Weight decay of conv and linear weights (coupled L2 for SGD, decoupled for AdamW); gains, biases and
    /// skip gains are never decayed.</summary>
    public double WeightDecay { get; init; } = 2e-5;

    /// <summary>AGC's λ; null or 0 turns adaptive gradient clipping off.</summary>
    public double? ClippingFactor { get; init; } = AdaptiveGradientClipping.DefaultClipFactor;

    /// <summary>AGC's ε, the floor of the weight norm.</summary>
    public double ClippingEps { get; init; } = AdaptiveGradientClipping.DefaultEps;

    /// <summary>Which parameters and units AGC clips.</summary>
    public AgcConvention ClippingConvention { get; init; } = AgcConvention.Timm;

    /// <summary>Length of the linear warm-up in epochs (ignored when <see cref="WarmupSteps"/> is set). A warm-up
    /// longer than the training is cut to the training.</summary>
    public double WarmupEpochs { get; init; } = 5;

    /// <summary>Length of the linear warm-up in steps; null uses <see cref="WarmupEpochs"/>.</summary>
    public long? WarmupSteps { get; init; }

    /// <summary>Decay of the exponential moving average of the weights (the recipe uses 0.99999); null keeps no average.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Whether AGC is on.</summary>
    public bool ClipsGradients => ClippingFactor is > 0;

    /// <summary>The peak learning rate for <paramref name="batchSize"/>: <see cref="LearningRate"/>, or the batch-scaled base rate.</summary>
    public double PeakLearningRate(int batchSize) => LearningRate ?? WarmupCosineSchedule.BatchScaled(
        Optimizer == NFNetOptimizerKind.AdamW ? AdamWBaseLearningRate : SgdBaseLearningRate, batchSize);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Optimizer))
            throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        if (LearningRate is { } lr && (!(lr > 0) || double.IsInfinity(lr)))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), lr, "The learning rate must be positive (or null to scale 0.1 with the batch size).");
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "The momentum must lie in [0, 1).");
        if (Nesterov && Optimizer == NFNetOptimizerKind.Sgd && Momentum == 0)
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Nesterov momentum needs a positive momentum; set Nesterov = false for plain SGD.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be zero or positive.");
        if (ClippingFactor is { } clip && (!(clip >= 0) || double.IsInfinity(clip)))
            throw new ArgumentOutOfRangeException(nameof(ClippingFactor), clip, "The AGC clipping factor must be zero or positive (0 or null turns AGC off).");
        if (!(ClippingEps >= 0) || double.IsInfinity(ClippingEps))
            throw new ArgumentOutOfRangeException(nameof(ClippingEps), ClippingEps, "The AGC ε must be zero or positive.");
        if (!Enum.IsDefined(ClippingConvention))
            throw new ArgumentOutOfRangeException(nameof(ClippingConvention), ClippingConvention, "Unknown AGC convention.");
        if (!(WarmupEpochs >= 0) || double.IsInfinity(WarmupEpochs))
            throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "The warm-up must be zero or more epochs.");
        if (WarmupSteps is < 0)
            throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "The warm-up must be zero or more steps.");
        if (EmaDecay is { } decay && !(decay > 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(EmaDecay), decay, "The EMA decay must lie strictly between 0 and 1 (or be null for no EMA).");
    }
}

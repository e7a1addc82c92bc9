using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The optimization side of an NFNet training step, for your own training loop: the learning rate from the warm-up +
/// cosine schedule, AGC, the optimizer update and the weight EMA, in the recipe's order (what
/// <see cref="NFNetTrainingEngine"/> uses). Per step: <c>ZeroGrad()</c>, forward, loss, backward, <c>Step()</c>.
/// </summary>
internal sealed class NFNetOptimizer : IDisposable
{
    private const string FormatTag = "Microsoft.ML.NFNet.NFNetOptimizer/1";

    private readonly AgcOptimizer? clipping;
    // Each parameter group's share of the scheduled learning rate (the backbone's factor when fine-tuning, else 1).
    private readonly double[] groupFactors;
    private readonly double requestedWarmupSteps;

    private NFNetOptimizer(OptimizerHelper updateRule, double[] groupFactors, AgcOptimizer? clipping, WarmupCosineSchedule schedule,
        double requestedWarmupSteps, ExponentialMovingAverage? ema)
    {
        UpdateRule = updateRule;
        this.groupFactors = groupFactors;
        this.clipping = clipping;
        Schedule = schedule;
        this.requestedWarmupSteps = requestedWarmupSteps;
        Ema = ema;
    }

    /// <summary>Builds the optimizer of <paramref name="model"/> for a training of <paramref name="totalSteps"/> steps.</summary>
    /// <param name="model">The model, already on its device and with its final classifier.</param>
    /// <param name="options">The recipe (validated here).</param>
    /// <param name="batchSize">Images per step (scales the default learning rate).</param>
    /// <param name="stepsPerEpoch">Steps per epoch (converts the warm-up from epochs).</param>
    /// <param name="totalSteps">Steps of the whole training (the cosine reaches 0 there).</param>
    /// <param name="fineTuning">What trains, and the backbone's learning-rate factor (null: everything, at the scheduled
    /// rate). Frozen parameters get no optimizer state, no EMA and no clipping; freezing them (<c>requires_grad</c>, eval
    /// mode) is the caller's part.</param>
    public static NFNetOptimizer Create(NFNetModel model, NFNetOptimizerOptions options, int batchSize, long stepsPerEpoch, long totalSteps,
        FineTuningSettings? fineTuning = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);

        var peak = options.PeakLearningRate(batchSize);
        var requestedWarmup = options.WarmupSteps ?? WarmupEpochs(options) * stepsPerEpoch;
        var schedule = new WarmupCosineSchedule(peak, Math.Min(requestedWarmup, totalSteps), totalSteps);

        var trainable = TrainableParameters.Of(model, fineTuning);
        var backboneFactor = fineTuning?.BackboneLearningRateFactor ?? 1.0;
        // Everything at one rate: the two weight-decay groups of the whole model (the layout checkpoints have always had).
        // Otherwise the backbone's groups, at its factor, then the classifier's.
        var splits = !trainable.FreezesAnything && backboneFactor == 1.0
            ? [(WeightDecayGroups.Of(model), 1.0)]
            : new[] { (WeightDecayGroups.Of(trainable.Backbone), backboneFactor), (WeightDecayGroups.Of(trainable.Classifier), 1.0) };
        var groups = splits.SelectMany(split => new[]
            {
                (Parameters: split.Item1.Decayed, WeightDecay: options.WeightDecay, Factor: split.Item2),
                (Parameters: split.Item1.NotDecayed, WeightDecay: 0.0, Factor: split.Item2),
            })
            .Where(group => group.Parameters.Count > 0)
            .ToArray();
        OptimizerHelper updater = options.Optimizer switch
        {
            NFNetOptimizerKind.Sgd => new InPlaceSgd(
                groups.Select(g => new SGD.ParamGroup(g.Parameters.Select(np => np.Parameter).ToArray(), peak * g.Factor,
                    options.Momentum, 0, g.WeightDecay, options.Nesterov)).ToArray(),
                peak, options.Momentum, nesterov: options.Nesterov),
            NFNetOptimizerKind.AdamW => new ScalarSafeAdamW(
                groups.Select(g => new AdamW.ParamGroup(g.Parameters.Select(np => np.Parameter).ToArray(), peak * g.Factor,
                    weight_decay: g.WeightDecay)).ToArray(), peak),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimizer."),
        };
        var trainableHandles = trainable.Trainable.Select(np => np.Parameter.Handle).ToHashSet();
        var clipping = options.ClipsGradients
            ? new AgcOptimizer(updater, AgcClippingSet.Of(model, options.ClippingConvention).Where(p => trainableHandles.Contains(p.Parameter.Handle)),
                options.ResolvedClippingFactor, options.ClippingEps)
            : null;
        var ema = options.EmaDecay is { } decay
            ? new ExponentialMovingAverage(model, decay, trainable.FreezesAnything ? trainable.Trainable.Select(np => np.Name).ToHashSet() : null)
            : null;
        return new NFNetOptimizer(updater, groups.Select(g => g.Factor).ToArray(), clipping, schedule, requestedWarmup, ema);
    }

    private static double WarmupEpochs(NFNetOptimizerOptions options) => options.WarmupEpochs ?? throw new InvalidOperationException(
        $"{nameof(NFNetOptimizerOptions)}.{nameof(NFNetOptimizerOptions.WarmupEpochs)} is null (automatic); the training engine chooses it.");

    /// <summary>The update rule (SGD or AdamW) that changes the parameters, without AGC.</summary>
    internal OptimizerHelper UpdateRule { get; }

    /// <summary>What TorchSharp sees as the optimizer: AGC wrapping <see cref="UpdateRule"/>, or the update rule alone
    /// when clipping is off.</summary>
    internal optim.Optimizer TorchOptimizer => clipping is null ? UpdateRule : clipping;

    /// <summary>The learning-rate schedule.</summary>
    internal WarmupCosineSchedule Schedule { get; private set; }

    /// <summary>
    /// Re-plans the training for <paramref name="totalSteps"/> steps in all (a time budget that turned out shorter or
    /// longer than planned): the cosine then reaches 0 there. The peak and the warm-up stay (the warm-up cut to the
    /// training when longer), so the steps already made had the rates the new plan gives them while in the warm-up.
    /// </summary>
    internal void PlanTotalSteps(long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, Math.Max(1, StepsDone));
        Schedule = new WarmupCosineSchedule(Schedule.PeakLearningRate, Math.Min(requestedWarmupSteps, totalSteps), totalSteps);
    }

    /// <summary>The weight average, or null when the options ask for none.</summary>
    internal ExponentialMovingAverage? Ema { get; }

    /// <summary>Units seen and clipped by AGC since the caller last reset it (null when clipping is off).</summary>
    public AgcStatistics? ClippingStatistics => clipping?.Statistics;

    /// <summary>Updates made so far.</summary>
    public long StepsDone { get; private set; }

    /// <summary>The learning rate of the next update.</summary>
    public double LearningRate => Schedule.LearningRateAt(StepsDone);

    /// <summary>Zeroes the gradients of every optimized parameter.</summary>
    public void ZeroGrad() => UpdateRule.zero_grad();

    /// <summary>One optimization step after the backward pass: <see cref="ClipGradients"/>, then <see cref="UpdateParameters"/>.</summary>
    public void Step()
    {
        ClipGradients();
        UpdateParameters();
    }

    /// <summary>The first half of <see cref="Step"/>: AGC on the gradients, in place (nothing when clipping is off).</summary>
    public void ClipGradients() => clipping?.ClipGradients();

    /// <summary>The second half of <see cref="Step"/>: sets the scheduled learning rate, updates the parameters, updates
    /// the EMA and counts the step.</summary>
    public void UpdateParameters()
    {
        var rate = LearningRate;
        var index = 0;
        foreach (var group in UpdateRule.ParamGroups)
            group.LearningRate = rate * groupFactors[index++];
        UpdateRule.step();
        Ema?.Update();
        StepsDone++;
    }

    /// <summary>Writes the step count, the optimizer state (e.g. momentum buffers) and the EMA, for a checkpoint.</summary>
    internal void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(FormatTag);
        writer.Write(StepsDone);
        UpdateRule.save_state_dict(writer);
        writer.Write(Ema is not null);
        Ema?.Save(writer);
    }

    /// <summary>Restores what <see cref="Save"/> wrote, into an optimizer created with the same options for the same model.</summary>
    /// <exception cref="InvalidDataException">The data was not written by an optimizer configured like this one.</exception>
    internal void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != FormatTag)
            throw new InvalidDataException("The data is not a saved NFNet optimizer state.");
        var stepsDone = reader.ReadInt64();
        UpdateRule.load_state_dict(reader);
        if (reader.ReadBoolean() != Ema is not null)
            throw new InvalidDataException(Ema is null
                ? "The saved state has a weight EMA but this optimizer keeps none (EmaDecay differs)."
                : "The saved state has no weight EMA but this optimizer keeps one (EmaDecay differs).");
        Ema?.Load(reader);
        StepsDone = stepsDone;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        TorchOptimizer.Dispose();
        Ema?.Dispose();
    }
}

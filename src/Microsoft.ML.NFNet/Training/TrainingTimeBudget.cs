using System.Globalization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Fits a training run into <see cref="NFNetTrainingOptions.MaxTrainingTime"/>: measures how long steps and validations
/// take, plans the steps that fit (the learning-rate schedule is re-planned for them, so the cosine still reaches 0 at
/// the end, at the budget rather than after it), and says when to stop. The plan is made after the first steps and
/// made again after every epoch, so a machine that slows down mid-run is caught; the budget itself is never overrun by
/// more than one step.
/// </summary>
internal sealed class TrainingTimeBudget
{
    /// <summary>The first steps are slower (allocator and kernel warm-up): they are not timed.</summary>
    private const int SkippedSteps = 3;

    /// <summary>Steps timed for the first plan.</summary>
    private const int ProbeSteps = 12;

    /// <summary>Until the first validation has been timed, scoring an image is taken to cost this share of a training
    /// step's time per image (forward pass only, no augmentation).</summary>
    private const double ValidationCostShare = 0.4;

    /// <summary>A last, partial epoch is worth its validation only when it trains at least this share of an epoch.</summary>
    private const double MinimumPartialEpoch = 0.25;

    /// <summary>This share of the budget is kept free for what follows the last step (its validation, restoring the
    /// best weights, building the model); the measured run without it ended 24 steps short of its last validation.</summary>
    private const double ReserveShare = 0.02;

    private readonly Func<TimeSpan> elapsed;
    private readonly long stepsPerEpoch;
    private readonly long plannedSteps;
    private readonly bool validates;
    private readonly double validationSteps;
    private readonly Action<long> replan;
    private readonly Action<string>? log;
    private long epochStartStep;
    private long probeStartStep = -1;
    private TimeSpan probeStart;
    private TimeSpan? stepTime;
    private TimeSpan? validationTime;

    /// <param name="budget">The whole run's budget.</param>
    /// <param name="elapsed">Time spent on the run so far (before a resume included; the data check counts).</param>
    /// <param name="stepsPerEpoch">Steps of one epoch.</param>
    /// <param name="plannedSteps">The steps the options ask for (the plan never exceeds them).</param>
    /// <param name="validationImages">Images validated after each epoch (0: no validation).</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="replan">Receives every new plan (total steps), to re-plan the learning-rate schedule.</param>
    /// <param name="log">Receives a note when a measurement first shortens the plan.</param>
    public TrainingTimeBudget(TimeSpan budget, Func<TimeSpan> elapsed, long stepsPerEpoch, long plannedSteps, int validationImages,
        int batchSize, Action<long> replan, Action<string>? log = null)
    {
        Budget = budget;
        this.elapsed = elapsed;
        this.stepsPerEpoch = stepsPerEpoch;
        this.plannedSteps = plannedSteps;
        TotalSteps = plannedSteps;
        validates = validationImages > 0;
        validationSteps = ValidationCostShare * validationImages / batchSize;
        this.replan = replan;
        this.log = log;
    }

    /// <summary>The budget.</summary>
    public TimeSpan Budget { get; }

    /// <summary>The steps of the current plan.</summary>
    public long TotalSteps { get; private set; }

    /// <summary>True once the budget ran out before the plan was done (training stopped mid-epoch, unvalidated).</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Whether the plan ends before the steps the options asked for.</summary>
    public bool Shortened => TotalSteps < plannedSteps;

    /// <summary>The epochs of the current plan (the last one possibly partial).</summary>
    public int PlannedEpochs => (int)((TotalSteps + stepsPerEpoch - 1) / stepsPerEpoch);

    /// <summary>Called when an epoch starts.</summary>
    public void StartEpoch(long stepsDone) => epochStartStep = stepsDone;

    /// <summary>Called after every step; false means stop now (the budget is spent, or the plan is done).</summary>
    public bool AfterStep(long stepsDone)
    {
        var now = elapsed();
        if (now >= Budget)
        {
            Exhausted = stepsDone < TotalSteps;
            return false;
        }
        if (stepTime is null && probeStartStep < 0 && stepsDone - epochStartStep == SkippedSteps)
        {
            probeStartStep = stepsDone;
            probeStart = now;
        }
        else if (stepTime is null && probeStartStep >= 0 && stepsDone - probeStartStep == ProbeSteps)
        {
            stepTime = (now - probeStart) / ProbeSteps;
            Plan(stepsDone, now);
        }
        return stepsDone < TotalSteps;
    }

    /// <summary>Called after an epoch's validation: plans again with the times measured in that epoch.</summary>
    /// <param name="stepsDone">Steps done so far.</param>
    /// <param name="trainingTime">The epoch's training time (without validation).</param>
    /// <param name="validation">The validation's time (zero without validation).</param>
    public void EndEpoch(long stepsDone, TimeSpan trainingTime, TimeSpan validation)
    {
        var steps = stepsDone - epochStartStep;
        if (steps > 0)
            stepTime = trainingTime / steps;
        if (validates)
            validationTime = validation;
        epochStartStep = stepsDone; // the next epoch starts here
        if (stepTime is not null && stepsDone < TotalSteps)
            Plan(stepsDone, elapsed());
    }

    /// <summary>The time one validation takes: measured, or estimated from the step time before the first one.</summary>
    private TimeSpan Validation => validates ? validationTime ?? stepTime!.Value * validationSteps : TimeSpan.Zero;

    /// <summary>
    /// The most steps (up to the options' plan) whose training and validations fit in the time left: the rest of the
    /// current epoch, whole epochs, then part of one (when at least <see cref="MinimumPartialEpoch"/> of an epoch fits,
    /// or when not even the current epoch can be finished).
    /// </summary>
    private void Plan(long stepsDone, TimeSpan now)
    {
        var step = stepTime!.Value;
        var left = Budget - now - Budget * ReserveShare;
        var total = stepsDone;
        var inEpoch = stepsPerEpoch - (stepsDone - epochStartStep);
        while (total < plannedSteps)
        {
            var steps = Math.Min(inEpoch, plannedSteps - total);
            var cost = step * steps + Validation;
            if (cost <= left)
            {
                total += steps;
                left -= cost;
                inEpoch = stepsPerEpoch;
                continue;
            }
            var partial = step > TimeSpan.Zero ? (long)((left - Validation) / step) : steps;
            if (partial > 0 && (partial >= MinimumPartialEpoch * stepsPerEpoch || total == stepsDone))
                total += Math.Min(partial, steps);
            break;
        }
        total = Math.Max(total, Math.Max(1, stepsDone));
        // Mid-epoch with not even its validation fitting: stop without validating, as when the budget runs out.
        if (total == stepsDone && stepsDone > epochStartStep)
            Exhausted = true;
        if (total == TotalSteps)
            return;
        if (!Shortened && total < plannedSteps)
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"Time budget: at {step.TotalMilliseconds:F0} ms per step, {total:N0} of the {plannedSteps:N0} planned steps fit " +
                $"in MaxTrainingTime = {Budget:g}; the learning-rate schedule now ends there."));
        TotalSteps = total;
        replan(total);
    }
}

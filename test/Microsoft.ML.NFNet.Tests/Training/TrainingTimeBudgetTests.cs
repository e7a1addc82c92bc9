namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>The time-budget planner on a simulated clock: every step costs a known time, so the plans are exact.</summary>
[TestClass]
public class TrainingTimeBudgetTests
{
    /// <summary>A run driven step by step on a fake clock, as the engine drives the planner.</summary>
    private sealed class SimulatedRun
    {
        private readonly TimeSpan stepCost;
        private readonly TimeSpan validationCost;
        private readonly long stepsPerEpoch;

        public SimulatedRun(TimeSpan budget, TimeSpan stepCost, long stepsPerEpoch, long plannedSteps, int validationImages = 0,
            TimeSpan validationCost = default, TimeSpan startup = default)
        {
            this.stepCost = stepCost;
            this.validationCost = validationCost;
            this.stepsPerEpoch = stepsPerEpoch;
            Now = startup;
            Budget = new TrainingTimeBudget(budget, () => Now, stepsPerEpoch, plannedSteps, validationImages, batchSize: 32,
                replan: Plans.Add, log: Notes.Add);
        }

        public TimeSpan Now { get; set; }
        public TrainingTimeBudget Budget { get; }
        public List<long> Plans { get; } = [];
        public List<string> Notes { get; } = [];
        public long StepsDone { get; private set; }
        public int EpochsValidated { get; private set; }

        /// <summary>Runs epochs as the engine does until the planner says stop; returns whether the budget ran out.</summary>
        public bool Run(Func<int, TimeSpan>? stepCostInEpoch = null)
        {
            for (var epoch = 1; StepsDone < Budget.TotalSteps; epoch++)
            {
                Budget.StartEpoch(StepsDone);
                var epochStart = Now;
                var start = StepsDone;
                while (StepsDone - start < stepsPerEpoch)
                {
                    Now += stepCostInEpoch?.Invoke(epoch) ?? stepCost;
                    StepsDone++;
                    if (!Budget.AfterStep(StepsDone))
                        break;
                }
                if (Budget.Exhausted)
                    return true;
                var training = Now - epochStart;
                Now += validationCost;
                EpochsValidated++;
                Budget.EndEpoch(StepsDone, training, validationCost);
            }
            return false;
        }
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [TestMethod]
    public void ShortensThePlanToTheStepsThatFitAndEndsAtTheBudget()
    {
        // 100 ms a step, 10 steps an epoch, 100 epochs asked for, 10 s allowed less the 0.2 s reserve: 98 steps fit
        // (9 epochs and 8 steps of the tenth, which is worth its validation).
        var run = new SimulatedRun(TimeSpan.FromSeconds(10), Ms(100), stepsPerEpoch: 10, plannedSteps: 1000);

        var exhausted = run.Run();

        Assert.IsFalse(exhausted, "the plan ends within the budget, so the budget never cuts an epoch");
        Assert.AreEqual(98, run.Budget.TotalSteps);
        Assert.AreEqual(98, run.StepsDone);
        Assert.AreEqual(98L, run.Plans[0], "the first plan, after 15 timed steps, is already right");
        Assert.AreEqual(10, run.EpochsValidated);
        Assert.AreEqual(10, run.Budget.PlannedEpochs);
        Assert.IsTrue(run.Budget.Shortened);
        Assert.IsTrue(run.Now <= TimeSpan.FromSeconds(10), $"finished at {run.Now}");
        Assert.HasCount(1, run.Notes);
        StringAssert.Contains(run.Notes[0], "98 of the 1,000 planned steps");
    }

    [TestMethod]
    public void CountsTheTimeBeforeTrainingAndTheValidations()
    {
        // 2 s of data checking, then 100 ms steps, 10 steps and a 500 ms validation per epoch: 7.8 s left (the reserve is
        // 0.2 s), 1.5 s an epoch.
        var run = new SimulatedRun(TimeSpan.FromSeconds(10), Ms(100), stepsPerEpoch: 10, plannedSteps: 1000, validationImages: 320,
            validationCost: Ms(500), startup: TimeSpan.FromSeconds(2));

        run.Run();

        // 5 epochs take 7.5 s; the 0.3 s left is less than a quarter epoch plus its validation, so no partial epoch.
        Assert.AreEqual(50, run.Budget.TotalSteps);
        Assert.AreEqual(5, run.EpochsValidated);
        Assert.IsTrue(run.Now <= TimeSpan.FromSeconds(10), $"finished at {run.Now}");
    }

    [TestMethod]
    public void KeepsThePlanWhenTheBudgetIsAmple()
    {
        var run = new SimulatedRun(TimeSpan.FromMinutes(10), Ms(100), stepsPerEpoch: 10, plannedSteps: 50);

        run.Run();

        Assert.AreEqual(50, run.StepsDone);
        Assert.IsFalse(run.Budget.Shortened);
        Assert.IsEmpty(run.Plans, "nothing to re-plan");
        Assert.IsEmpty(run.Notes);
    }

    [TestMethod]
    public void EndsInsideTheFirstEpochWhenNotEvenOneFits()
    {
        // 1,000 steps an epoch at 100 ms, 10 s less the reserve: the cosine ends after 98 steps, mid-epoch, then validated.
        var run = new SimulatedRun(TimeSpan.FromSeconds(10), Ms(100), stepsPerEpoch: 1000, plannedSteps: 5000);

        var exhausted = run.Run();

        Assert.IsFalse(exhausted);
        Assert.AreEqual(98, run.StepsDone);
        Assert.AreEqual(1, run.EpochsValidated);
        Assert.AreEqual(1, run.Budget.PlannedEpochs);
    }

    [TestMethod]
    public void ReplansWhenTheMachineSlowsDownAndStillStopsAtTheBudget()
    {
        // Steps take 100 ms in the first two epochs, then 300 ms (another job started): the plan shrinks after epoch 3.
        var run = new SimulatedRun(TimeSpan.FromSeconds(10), Ms(100), stepsPerEpoch: 10, plannedSteps: 1000);

        var exhausted = run.Run(epoch => epoch <= 2 ? Ms(100) : Ms(300));

        Assert.IsTrue(run.Plans.Count >= 2, $"plans: {string.Join(", ", run.Plans)}");
        Assert.IsTrue(run.Plans[^1] < run.Plans[0], $"plans: {string.Join(", ", run.Plans)}");
        Assert.IsTrue(run.Now <= TimeSpan.FromSeconds(10) + Ms(300), $"overran to {run.Now}");
        // Epoch 3 was planned at 100 ms a step and overruns; what is left after it is re-planned at 300 ms a step.
        Assert.IsTrue(exhausted || run.StepsDone == run.Budget.TotalSteps);
    }

    [TestMethod]
    public void StopsAtOnceWhenTheBudgetIsSpent()
    {
        var budget = new TrainingTimeBudget(TimeSpan.FromSeconds(1), () => TimeSpan.FromSeconds(1), stepsPerEpoch: 10,
            plannedSteps: 100, validationImages: 0, batchSize: 32, replan: _ => { });

        budget.StartEpoch(0);

        Assert.IsFalse(budget.AfterStep(1));
        Assert.IsTrue(budget.Exhausted);
    }

    [TestMethod]
    public void TheEngineStopsAtTheBudgetAndKeepsTheBestValidatedEpoch()
    {
        var train = SyntheticImages.Create(perClass: 12, classes: 3, size: 32, seed: 11);
        var validation = SyntheticImages.Create(perClass: 4, classes: 3, size: 32, seed: 12);
        var config = TinyConfigs.Light with
        {
            Channels = [32, 32, 64, 64], StemChannels = [16, 16, 32, 32], GroupSize = 16, BottleneckRatio = 0.5,
        };
        using var model = new NFNetModel(config, numClasses: 3);
        var notes = new List<string>();
        var options = new NFNetTrainingOptions
        {
            Epochs = 10_000,
            BatchSize = 12,
            Seed = 1,
            MaxTrainingTime = TimeSpan.FromSeconds(3),
            LogEveryBatches = 0,
            EarlyStopping = new EarlyStoppingOptions { Patience = 10_000, RestoreBestWeights = true },
            Preprocessing = new ImagePreprocessingOptions { ImageSize = 32, CropScaleMin = 0.5, HorizontalFlipProbability = 0, MixUpAlpha = 0, CutMixAlpha = 0 },
            Optimizer = new NFNetOptimizerOptions { LearningRate = 0.05, WarmupEpochs = 1 },
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = new NFNetTrainingEngine(options, notes.Add).Train(model, train, validation);

        // One step plus one validation past the budget at most (a generous margin for a busy machine).
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(3) + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.IsTrue(result.StoppedByTimeBudget);
        Assert.IsTrue(result.EpochsCompleted is > 0 and < 10_000, $"{result.EpochsCompleted} epochs");
        Assert.IsTrue(notes.Any(n => n.StartsWith("Time budget:", StringComparison.Ordinal)), string.Join(" | ", notes));
        var validated = result.History.Where(h => h.ValidationLoss is not null).ToArray();
        // The best as early stopping defines it: an epoch replaces the best only by improving on it by more than MinDelta.
        var best = validated[0];
        foreach (var epoch in validated.Skip(1))
            if (epoch.ValidationLoss!.Value < best.ValidationLoss!.Value - options.EarlyStopping!.MinDelta)
                best = epoch;
        Assert.AreEqual(best.Epoch, result.SelectedEpoch, "the best validated epoch is kept");
    }

    [TestMethod]
    public void ANonPositiveBudgetIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new NFNetTrainingOptions { MaxTrainingTime = TimeSpan.Zero }.Validate());
        StringAssert.Contains(e.Message, "MaxTrainingTime");
    }
}

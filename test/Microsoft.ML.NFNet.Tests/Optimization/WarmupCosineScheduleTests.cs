namespace Microsoft.ML.NFNet.Tests.Optimization;

[TestClass]
public class WarmupCosineScheduleTests
{
    [TestMethod]
    public void WarmsUpLinearlyFromZeroThenDecaysAlongACosineToZero()
    {
        var schedule = new WarmupCosineSchedule(1.6, warmupSteps: 10, totalSteps: 110);

        Assert.AreEqual(0, schedule.LearningRateAt(0));
        Assert.AreEqual(0.8, schedule.LearningRateAt(5), 1e-15);
        Assert.AreEqual(1.6, schedule.LearningRateAt(10), 1e-15, "the peak, at the end of the warm-up");
        Assert.AreEqual(0.8, schedule.LearningRateAt(60), 1e-12, "half way down the cosine");
        Assert.AreEqual(0.5 * 1.6 * (1 + Math.Cos(Math.PI * 0.25)), schedule.LearningRateAt(35), 1e-12);
        Assert.AreEqual(0, schedule.LearningRateAt(110));
        Assert.AreEqual(0, schedule.LearningRateAt(500));
        var rates = Enumerable.Range(0, 111).Select(s => schedule.LearningRateAt(s)).ToList();
        Assert.AreEqual(1.6, rates.Max(), 1e-15);
        for (var s = 11; s <= 110; s++)
            Assert.IsTrue(rates[s] < rates[s - 1], $"decreasing after the warm-up (step {s})");
    }

    [TestMethod]
    public void FollowsDeepMindsFractionalWarmup()
    {
        // ImageNet, batch 4096, 5 warm-up epochs of 360.
        var stepsPerEpoch = 1281167.0 / 4096;
        var schedule = new WarmupCosineSchedule(WarmupCosineSchedule.BatchScaled(0.1, 4096), 5 * stepsPerEpoch, 112602);

        Assert.AreEqual(1.6, schedule.PeakLearningRate, 1e-15);
        Assert.AreEqual(1.6 * 1000 / (5 * stepsPerEpoch), schedule.LearningRateAt(1000), 1e-12);
        Assert.IsTrue(schedule.LearningRateAt(1564) < 1.6 && schedule.LearningRateAt(1564) > 1.6 - 1e-6);
    }

    [TestMethod]
    public void WithoutWarmupStartsAtThePeak()
    {
        Assert.AreEqual(0.3, new WarmupCosineSchedule(0.3, 0, 100).LearningRateAt(0));
    }

    [TestMethod]
    public void ScalesTheBaseRateWithTheBatchSize()
    {
        Assert.AreEqual(0.1, WarmupCosineSchedule.BatchScaled(0.1, 256), 1e-15);
        Assert.AreEqual(0.0125, WarmupCosineSchedule.BatchScaled(0.1, 32), 1e-15);
    }

    [TestMethod]
    public void RejectsAWarmupLongerThanTheTraining()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(0.1, 11, 10));
        Assert.AreEqual("warmupSteps", error.ParamName);
    }
}

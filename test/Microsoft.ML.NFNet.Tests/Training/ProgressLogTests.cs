namespace Microsoft.ML.NFNet.Tests.Training;

/// <summary>Issue 21: the head's feature pass (minutes for thousands of images) says how far it is.</summary>
[TestClass]
public class ProgressLogTests
{
    [TestMethod]
    public void ALineSaysHowFarThePassIsAndHowLongItHasLeft()
    {
        var lines = new List<string>();
        var progress = new ProgressLog("Computing the backbone's features", 10_000, lines.Add, TimeSpan.Zero);

        progress.Report(0);
        progress.Report(2_500);
        progress.Report(10_000);

        var line = lines.Single();
        StringAssert.StartsWith(line, "Computing the backbone's features: 2,500 of 10,000 images (25");
        StringAssert.EndsWith(line, " left.");
    }

    [TestMethod]
    public void LinesComeAtMostOncePerInterval()
    {
        var lines = new List<string>();
        var progress = new ProgressLog("Features", 100, lines.Add);

        for (var done = 1; done < 100; done++)
            progress.Report(done);

        Assert.IsEmpty(lines, "a pass shorter than 30 seconds logs nothing");
    }
}

using System.Diagnostics;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Runs an action after warm-up and returns the per-run times in milliseconds.</summary>
internal static class Timing
{
    public static double[] Measure(Action run, int warmup, int runs)
    {
        for (var i = 0; i < warmup; i++)
            run();
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return times;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

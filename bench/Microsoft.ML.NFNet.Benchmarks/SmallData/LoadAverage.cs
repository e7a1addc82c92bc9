using System.Globalization;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>
/// The machine's 1-minute load average (/proc/loadavg) sampled while something runs, so every timing is reported with
/// how busy the machine was: on a shared machine a load above the core count means the run had less than all cores.
/// </summary>
internal sealed class LoadAverage : IDisposable
{
    private readonly List<double> samples = [];
    private readonly Timer timer;

    public LoadAverage()
    {
        Start = Read();
        timer = new Timer(_ => Sample(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    }

    public double? Start { get; }

    public double? End { get; private set; }

    /// <summary>The mean of the samples taken every 5 s (the start and end values when the run was shorter).</summary>
    public double? Mean
    {
        get
        {
            lock (samples)
                return samples.Count > 0 ? samples.Average() : Start is { } s && End is { } e ? (s + e) / 2 : Start;
        }
    }

    public static double? Read()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null; // not Linux: the load is reported as unknown
        }
    }

    private void Sample()
    {
        if (Read() is { } load)
            lock (samples)
                samples.Add(load);
    }

    public void Dispose()
    {
        timer.Dispose();
        End = Read();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"load {Start:F2} → {End:F2} (mean {Mean:F2}) on {Environment.ProcessorCount} cores");
}

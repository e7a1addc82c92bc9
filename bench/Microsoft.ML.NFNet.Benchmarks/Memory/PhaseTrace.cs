namespace Microsoft.ML.NFNet.Benchmarks.Memory;

/// <summary>The largest RSS sampled in each phase of a run (a phase begins at a log line).</summary>
internal sealed class PhaseTrace : IDisposable
{
    private readonly List<(string Phase, double PeakMiB, double ManagedMiB)> phases = [("start", 0, 0)];
    private readonly Timer timer;

    public PhaseTrace() => timer = new Timer(_ => Sample(), null, 0, 50);

    public static PhaseTrace? Current { get; set; }

    public void Enter(string line)
    {
        var text = line[(line.IndexOf(']') + 1)..].Trim();
        lock (phases)
            phases.Add((text.Length > 70 ? text[..70] : text, 0, 0));
        Sample();
    }

    public void Print()
    {
        lock (phases)
            foreach (var (phase, peak, managed) in phases)
                Console.WriteLine($"  trace: {peak,6:0} MiB RSS, {managed,6:0} MiB managed heap  {phase}");
    }

    public void Dispose() => timer.Dispose();

    private void Sample()
    {
        var rss = ReadRss();
        var managed = GC.GetTotalMemory(false) / 1048576.0;
        lock (phases)
        {
            var (phase, peak, heap) = phases[^1];
            if (rss > peak)
                phases[^1] = (phase, rss, Math.Max(heap, managed));
        }
    }

    private static double ReadRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return 0;
    }
}

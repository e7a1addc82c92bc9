namespace Microsoft.ML.NFNet.Tests;

/// <summary>
/// How much the peak resident set of this process grows while an action runs (Linux: VmHWM, reset through
/// /proc/self/clear_refs), so a test can bound the memory one call costs, native (libtorch) allocations included.
/// The test assembly runs one test at a time, so nothing else allocates meanwhile.
/// </summary>
internal static class PeakRss
{
    /// <summary>The growth of the peak RSS in bytes over <paramref name="action"/>; null where the OS cannot tell.</summary>
    public static long? Growth(Action action)
    {
        if (!OperatingSystem.IsLinux() || !TryReset())
        {
            action();
            return null;
        }
        var before = Read("VmRSS:");
        action();
        return Read("VmHWM:") - before;
    }

    private static bool TryReset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Read(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }
}

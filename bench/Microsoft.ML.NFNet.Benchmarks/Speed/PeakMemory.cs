namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Peak resident set size of this process (Linux: VmHWM, resettable through /proc/self/clear_refs).</summary>
internal static class PeakMemory
{
    /// <summary>Starts a new peak measurement; returns false where the OS does not support it.</summary>
    public static bool Reset()
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

    /// <summary>Peak RSS in MiB since the last <see cref="Reset"/> (or process start); null where unknown.</summary>
    public static double? PeakMiB()
    {
        if (!OperatingSystem.IsLinux())
            return Environment.WorkingSet / 1048576.0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return null;
    }

    /// <summary>Current RSS in MiB.</summary>
    public static double CurrentMiB()
    {
        if (OperatingSystem.IsLinux())
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return Environment.WorkingSet / 1048576.0;
    }
}

using System.Globalization;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// Resident memory of another process, from Linux's <c>/proc/&lt;pid&gt;/status</c>: the current RSS (<c>VmRSS</c>) and
/// the peak since the last <see cref="ResetPeak"/> (<c>VmHWM</c>, reset by writing 5 to <c>clear_refs</c>).
/// Elsewhere every figure is null.
/// </summary>
internal sealed class ServerMemory(int processId)
{
    /// <summary>Current resident set size in bytes.</summary>
    public long? Resident => Read("VmRSS:");

    /// <summary>Peak resident set size in bytes since the process started or the last <see cref="ResetPeak"/>.</summary>
    public long? Peak => Read("VmHWM:");

    /// <summary>Makes <see cref="Peak"/> start again from the current RSS; false where the kernel does not allow it.</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{processId}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private long? Read(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            // "VmRSS:     123456 kB"
            return line is null ? null : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>Prints benchmark rows as a table and writes them as JSON and CSV for comparison across commits.</summary>
internal static class BenchmarkReport
{
    public static void Print(IReadOnlyList<BenchmarkResult> rows, string machine)
    {
        // Redirected output has no width; keep rows on one line for logs.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = 200;
        var table = new Table().Title($"[bold]NFNet benchmarks[/] ({Markup.Escape(machine)})");
        foreach (var column in new[] { "variant", "mode", "device", "precision", "batch", "res", "median ms", "min ms", "images/s", "peak RSS MiB", "notes" })
            table.AddColumn(column);
        foreach (var r in rows)
            table.AddRow(r.Variant, r.Mode, r.Device, r.Precision ?? "-", r.Batch.ToString(), r.Resolution.ToString(),
                r.MedianMs.ToString("F1", CultureInfo.InvariantCulture), r.MinMs.ToString("F1", CultureInfo.InvariantCulture),
                r.ImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture),
                r.PeakRssMiB?.ToString("F0", CultureInfo.InvariantCulture) ?? "n/a", Markup.Escape(r.Notes));
        AnsiConsole.Write(table);
    }

    public static void Write(IReadOnlyList<BenchmarkResult> rows, string machine, string directory)
    {
        Directory.CreateDirectory(directory);
        var json = JsonSerializer.Serialize(new { machine, date = DateTime.UtcNow.ToString("O"), results = rows },
            new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        File.WriteAllText(Path.Combine(directory, "benchmarks.json"), json);

        var csv = new StringBuilder("variant,mode,device,precision,batch,resolution,runs,median_ms,min_ms,images_per_s,peak_rss_mib,agc_share,optimizer_share,notes\n");
        foreach (var r in rows)
            csv.AppendLine(string.Join(",", r.Variant, r.Mode, r.Device, r.Precision ?? "", r.Batch, r.Resolution, r.Runs,
                r.MedianMs.ToString("F3", CultureInfo.InvariantCulture), r.MinMs.ToString("F3", CultureInfo.InvariantCulture),
                r.ImagesPerSecond.ToString("F3", CultureInfo.InvariantCulture),
                r.PeakRssMiB?.ToString("F1", CultureInfo.InvariantCulture) ?? "",
                r.AgcShare?.ToString("F4", CultureInfo.InvariantCulture) ?? "",
                r.OptimizerShare?.ToString("F4", CultureInfo.InvariantCulture) ?? "", $"\"{r.Notes}\""));
        File.WriteAllText(Path.Combine(directory, "benchmarks.csv"), csv.ToString());
    }

    public static string DescribeMachine()
    {
        var cpu = OperatingSystem.IsLinux()
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim()
            : null;
        return $"{cpu ?? "unknown CPU"}, {Environment.ProcessorCount} cores, {TorchSharp.torch.get_num_threads()} torch threads, " +
               $".NET {Environment.Version}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}";
    }
}

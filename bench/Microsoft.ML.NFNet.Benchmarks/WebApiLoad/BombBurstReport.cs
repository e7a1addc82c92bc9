using System.Globalization;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// <c>nfnet-webapi loadtest --bombs N</c>: the server in its own process, warmed up with normal traffic, then N pixel
/// bombs at once while the normal clients keep going; prints what the bombs got, how the normal requests fared and the
/// server's resident memory before, at the peak of and after the burst.
/// </summary>
internal static class BombBurstReport
{
    private const double MiB = 1 << 20;

    public static async Task<int> RunAsync(string modelPath, byte[] image, string contentType, string imageDescription,
        LoadTestOptions options)
    {
        var bomb = PixelBomb.Png(options.BombSide, options.BombSide);
        await using var server = await ServerProcess.StartAsync(modelPath, [], TimeSpan.FromMinutes(2));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server pid {server.Id} at {server.Address} | model {Path.GetFileName(modelPath)} | normal: {imageDescription}, " +
            $"{options.Concurrency} clients | bombs: {options.Bombs} at once, {options.BombSide:N0}×{options.BombSide:N0} " +
            $"black PNG ({bomb.Length:N0} bytes, {(double)options.BombSide * options.BombSide / 1e6:0.0} Mpx) | " +
            $"{Environment.ProcessorCount} cores"));

        await LoadGenerator.RunAsync(server.Address, image, contentType, options.Concurrency, TimeSpan.Zero,
            TimeSpan.FromSeconds(Math.Max(options.Warmup, 1)));
        var result = await BombBurst.RunAsync(server, image, contentType, options.Concurrency, bomb, options.Bombs,
            TimeSpan.FromSeconds(options.Settle));

        foreach (var group in result.Bombs.GroupBy(b => b.Status).OrderBy(g => g.Key))
        {
            var retryAfter = group.FirstOrDefault(b => b.RetryAfter != null)?.RetryAfter;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bombs answered {group.Key}: {group.Count()}, in {group.Min(b => b.Milliseconds):0} to {group.Max(b => b.Milliseconds):0} ms{(retryAfter is null ? "" : $", Retry-After {retryAfter}")}"));
        }
        var normal = result.Normal;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"normal requests during the burst: {normal.Succeeded} ok, {normal.Failed} failed in {normal.Seconds:0.0} s | " +
            $"latency ms p50 {normal.P50Ms:0.0}, p95 {normal.P95Ms:0.0}, p99 {normal.P99Ms:0.0}, max {normal.MaxMs:0.0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server RSS MiB: before {Format(result.ResidentBefore)} | peak during the burst {Format(result.PeakDuring)} | " +
            $"after {Format(result.ResidentAfter)} ({options.Settle:0.#} s after the last bomb's answer)"));
        return normal.Failed == 0 && normal.Succeeded > 0 ? 0 : 1;
    }

    private static string Format(long? bytes) =>
        bytes is { } value ? (value / MiB).ToString("N0", CultureInfo.InvariantCulture) : "unknown (no /proc)";
}

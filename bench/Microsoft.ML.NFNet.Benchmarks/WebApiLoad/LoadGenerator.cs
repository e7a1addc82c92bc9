using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// Closed-loop load: each client sends one batch-1 request, waits for the answer, sends the next. Requests that start
/// during the warm-up are not counted.
/// </summary>
internal static class LoadGenerator
{
    public static async Task<LatencySummary> RunAsync(Uri server, byte[] image, string contentType, int concurrency,
        TimeSpan warmup, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var clock = Stopwatch.StartNew();
        var end = warmup + duration;

        async Task ClientAsync()
        {
            using var client = new HttpClient { BaseAddress = server };
            while (clock.Elapsed < end)
            {
                var started = clock.Elapsed;
                using var content = new ByteArrayContent(image);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                using var response = await client.PostAsync("/predict?k=1", content);
                await response.Content.ReadAsByteArrayAsync();
                if (started < warmup)
                    continue;
                if (response.IsSuccessStatusCode)
                    latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                else
                    Interlocked.Increment(ref failed);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(ClientAsync)));
        var measured = clock.Elapsed - warmup;
        return LatencySummary.Of(latencies, failed, measured.TotalSeconds);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>What the server answered one pixel bomb, and after how long.</summary>
internal sealed record BombAnswer(int Status, double Milliseconds, string? RetryAfter);

/// <summary>The outcome of <see cref="BombBurst.RunAsync"/>: the bombs' answers, the normal requests sent meanwhile and
/// the server's memory before, at the peak of and after the burst.</summary>
internal sealed record BombBurstResult(IReadOnlyList<BombAnswer> Bombs, LatencySummary Normal, long? ResidentBefore,
    long? PeakDuring, long? ResidentAfter);

/// <summary>
/// Normal closed-loop traffic, and in the middle of it <c>N</c> pixel bombs sent at the same moment, each on its own
/// connection. The normal clients keep going until <c>settle</c> after the last bomb's answer, then the server's RSS is
/// read again: memory a burst leaves behind shows there.
/// </summary>
internal static class BombBurst
{
    public static async Task<BombBurstResult> RunAsync(ServerProcess server, byte[] image, string imageContentType, int clients,
        byte[] bomb, int bombs, TimeSpan settle)
    {
        var residentBefore = server.Memory.Resident;
        server.Memory.ResetPeak();

        using var stop = new CancellationTokenSource();
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var clock = Stopwatch.StartNew();

        async Task NormalClientAsync()
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
            while (!stop.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                using var content = new ByteArrayContent(image) { Headers = { ContentType = new MediaTypeHeaderValue(imageContentType) } };
                using var response = await client.PostAsync("/predict?k=1", content);
                await response.Content.ReadAsByteArrayAsync();
                if (response.IsSuccessStatusCode)
                    latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                else
                    Interlocked.Increment(ref failed);
            }
        }

        async Task<BombAnswer> BombAsync()
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(10) };
            var started = Stopwatch.StartNew();
            using var content = new ByteArrayContent(bomb) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } };
            using var response = await client.PostAsync("/predict?k=1", content);
            await response.Content.ReadAsByteArrayAsync();
            return new BombAnswer((int)response.StatusCode, started.Elapsed.TotalMilliseconds, response.Headers.RetryAfter?.ToString());
        }

        var normal = Enumerable.Range(0, clients).Select(_ => Task.Run(NormalClientAsync)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1)); // the normal traffic is under way when the bombs arrive
        var answers = await Task.WhenAll(Enumerable.Range(0, bombs).Select(_ => Task.Run(BombAsync)));
        await Task.Delay(settle);
        await stop.CancelAsync();
        await Task.WhenAll(normal);
        var seconds = clock.Elapsed.TotalSeconds;
        return new BombBurstResult(answers, LatencySummary.Of(latencies, failed, seconds), residentBefore, server.Memory.Peak,
            server.Memory.Resident);
    }
}

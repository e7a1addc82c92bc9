using System.Diagnostics;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Log lines for a long pass over images that reports nothing else (the head's feature pass): how far it is and how long
/// it has left, at most once per interval, so a user watching the log knows the run is alive.
/// </summary>
/// <param name="what">What is being done, e.g. "Computing the backbone's features".</param>
/// <param name="total">Images in the pass.</param>
/// <param name="log">Where the lines go (nothing is done without one).</param>
/// <param name="interval">The least time between two lines; null: 30 seconds.</param>
internal sealed class ProgressLog(string what, long total, Action<string>? log, TimeSpan? interval = null)
{
    private readonly TimeSpan interval = interval ?? TimeSpan.FromSeconds(30);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan lastLine;

    /// <summary>Called after each batch with the images done so far; logs when the interval has passed since the start
    /// or the last line, and not at the end (the caller says what was done).</summary>
    public void Report(long done)
    {
        var elapsed = clock.Elapsed;
        if (log is null || done <= 0 || done >= total || elapsed - lastLine < interval)
            return;
        lastLine = elapsed;
        var left = elapsed * ((double)(total - done) / done);
        log($"{what}: {done:N0} of {total:N0} images ({(double)done / total:P0}) in {Minutes(elapsed)}, about {Minutes(left)} left.");
    }

    private static string Minutes(TimeSpan time) => time.TotalMinutes < 1 ? $"{time.TotalSeconds:0} s" : $"{time.TotalMinutes:0.#} min";
}

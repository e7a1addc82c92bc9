using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Probes;

/// <summary>
/// Reproduces the race that TorchScalars (the library's Native/ folder) removes: TorchSharp's <c>a + b</c> makes its
/// alpha Scalar implicitly, and nothing keeps it alive while libtorch reads it, so a garbage collection plus the
/// finalizer thread can free it mid-call. One thread adds two CPU tensors in a loop; another forces collections and
/// finalizers without pause; a third makes and drops Scalars of other values, so a freed Scalar's memory is likely
/// reused by a different one. Prints the additions, the native errors and the wrong sums of one arm:
/// <c>implicit</c> (<c>a + b</c>) or <c>rooted</c> (<c>a.Plus(b)</c>, the library's).
/// </summary>
internal static class ScalarRaceProbe
{
    public static int Run(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        var arm = args.Length > 0 ? args[0] : "implicit";
        if (arm is not ("implicit" or "rooted"))
            throw new ArgumentException($"The first argument is the arm, implicit or rooted, not '{arm}'.");
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var elements = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;

        using var a = ones(elements);
        using var b = full(elements, 2.0f);
        using var expected = full(elements, 3.0f);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        var churner = new Thread(() =>
        {
            var value = 0.0;
            while (!stop.IsCancellationRequested)
                _ = (value += 1e9).ToScalar(); // left to the finalizer on purpose
        }) { IsBackground = true };
        collector.Start();
        churner.Start();

        long additions = 0, errors = 0, wrong = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var sum = arm == "implicit" ? a + b : a.Plus(b);
                if (!sum.Equals(expected))
                    wrong++;
            }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
            {
                errors++;
                firstError ??= e.Message.Split('\n')[0];
            }
            additions++;
        }
        collector.Join();
        churner.Join();
        Console.WriteLine($"scalar-race {arm}: {additions} additions of {elements} floats in {clock.Elapsed.TotalSeconds:F1} s, " +
            $"{errors} native errors, {wrong} wrong sums");
        if (firstError is not null)
            Console.WriteLine($"first error: {firstError}");
        return errors + wrong == 0 ? 0 : 1;
    }
}

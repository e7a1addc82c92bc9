using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Chooses how many threads libtorch gives one kind of repeated work (training steps; scoring's forward passes), and for
/// work that can be cut whether its batches are cut into single-threaded parts (<see cref="ThreadPlan"/>), by timing it,
/// so that it stays fast when other processes compete for the cores.
/// </summary>
/// <remarks>
/// libtorch splits each operator over a team of OpenMP threads that wait for each other at its end. On a quiet machine
/// the whole team is best; when other processes want the cores, one starved team member stalls the others (and a
/// spinning member holds a core the starved one needs): the sample's training ran 2.1–2.4× slower beside one busy
/// process and stalled past 4× beside two, where one thread lost 1.3–1.8× (docs/performance.md, "Under load"). So the
/// work starts with every thread; after a few timed calls it tries the next plan down (every thread as single-threaded
/// parts where the work can be cut, then half as many threads, and so on to one) for a second or so of calls and
/// keeps whichever was at least 10 % faster per item (all the calls' time over all their items: a starved team is fast
/// on most calls and stalls on the others), checks each switch at once by trying the plan it left, and tries again
/// from time to time in both directions: as the machine gets busy or quiet, the plan follows. Trials are spaced so
/// that they cost at most about a tenth of the time.
/// An explicit <c>OMP_NUM_THREADS</c> turns this off (the user's count is kept; results are then also bit-reproducible
/// run to run: another thread count changes float rounding, which moved eca_nfnet_l0's and dm_nfnet_f0's outputs by
/// at most 1.1e-7 here, the last bits of a float). Not thread-safe: one tuner per serialized kind of work, used from
/// whichever thread runs it.
/// </remarks>
internal sealed class IntraOpThreadTuner
{
    /// <summary>A measurement (whose time per item counts: all its calls' time over all their items) is at least this many
    /// calls and <see cref="MeasurementTime"/>, or two calls and twice that.</summary>
    public const int MinimumSamples = 3;

    /// <summary>A measurement is complete at this many calls, however short they are.</summary>
    public const int MaximumSamples = 15;

    /// <summary>A measurement spans at least this much time (or <see cref="MaximumSamples"/> calls): on a VM the same
    /// two-thread scoring call of eca_nfnet_l0 took 55–220 ms from one call to the next on a quiet machine, so three
    /// short calls could show one thread 30 % ahead of two that are 1.5× faster over a second.</summary>
    public static readonly TimeSpan MeasurementTime = TimeSpan.FromSeconds(1);

    /// <summary>Calls not timed when the tuner starts, unless they already span <see cref="MeasurementTime"/>: beside busy
    /// processes a starved team's call of eca_nfnet_l0 took 3 s, and waiting for three of them before measuring cost
    /// more than the warm-up they skip.</summary>
    public const int FirstCallsUntimed = 3;

    /// <summary>Another count is taken only when it is at least this much faster per item.</summary>
    public const double RequiredGain = 0.10;

    /// <summary>Cutting batches into parts is taken only when it is at least this much faster, by default: the first calls
    /// of a plan after another run slower than it does later, and on a quiet machine libtorch's parts were 10–30 % slower
    /// than its team in steady state, yet a few trial calls could show them ahead by 10–20 %; beside two busy processes
    /// they were 45 % faster (eca_nfnet_l0, batches of 8, docs/performance.md). Work whose parts cost little on a quiet
    /// machine passes a smaller gain (ONNX Runtime: <see cref="RequiredGain"/>).</summary>
    public const double SplitRequiredGain = 0.25;

    /// <summary>A trial call this many times slower per item than the count in use ends the trial at once: under
    /// <c>nice</c> a starved team is ten times slower, and three such calls cost more than the trial can win.</summary>
    public const double HopelessTrial = 3;

    private static readonly TimeSpan FirstInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LongestInterval = TimeSpan.FromMinutes(5);

    private readonly ThreadPlan[] candidates; // every thread as a team (then as parts), then halves down to one
    private readonly string work;
    private readonly Action<string>? log;
    private readonly Func<TimeSpan> now;
    private readonly List<Sample> currentSamples = [];
    private readonly List<Sample> trialSamples = [];
    private int current;
    private int? trial;
    // The first call of a count pays for creating its threads; the first calls of all pay for libtorch's first use of each
    // operator and for the allocator's first pages (eca_nfnet_l0 scoring: 2 threads timed cold lost to 1 thread warm,
    // and the exploration that followed cost 50 % over 30 passes on a quiet machine).
    private int skip = FirstCallsUntimed;
    private TimeSpan? warmUp = TimeSpan.Zero; // the untimed first calls' time, until they end
    private bool tryFewerNext = true;
    private int? justLeft; // the plan left at the last switch, tried again at once to confirm the switch
    private TimeSpan interval = FirstInterval;
    private TimeSpan nextTrial = TimeSpan.Zero;
    private TimeSpan trialStarted;

    /// <param name="maxThreads">Every thread: the most it uses.</param>
    /// <param name="work">What is timed, for the log.</param>
    /// <param name="log">Receives a line whenever the count changes.</param>
    /// <param name="clock">The time (tests pass their own).</param>
    /// <param name="startWith">Start with the largest team of at most this many threads and try more only later, instead
    /// of starting with every thread (null).</param>
    /// <param name="splittable">Calls may be cut into single-threaded parts (scoring a batch; not a training step).</param>
    /// <param name="splitRequiredGain">The gain that parts need to be taken (default <see cref="SplitRequiredGain"/>).</param>
    internal IntraOpThreadTuner(int maxThreads, string work, Action<string>? log, Func<TimeSpan>? clock = null, int? startWith = null,
        bool splittable = false, double splitRequiredGain = SplitRequiredGain)
    {
        SplitGain = splitRequiredGain;
        var teams = Enumerable.Range(0, 32).Select(i => maxThreads >> i).TakeWhile(n => n >= 1).Select(n => new ThreadPlan(n, false));
        candidates = splittable && maxThreads > 1
            ? [new ThreadPlan(maxThreads, false), new ThreadPlan(maxThreads, true), .. teams.Skip(1)]
            : teams.ToArray();
        current = startWith is { } most
            ? Array.FindIndex(candidates, plan => !plan.Split && plan.Threads <= Math.Max(1, most))
            : 0;
        this.work = work;
        this.log = log;
        if (clock is null)
        {
            var stopwatch = Stopwatch.StartNew();
            clock = () => stopwatch.Elapsed;
        }
        now = clock;
    }

    /// <summary>A tuner for work run on the calling thread, or null where there is nothing to choose: one thread, a
    /// thread count fixed by the user (<c>OMP_NUM_THREADS</c> or <c>MKL_NUM_THREADS</c>), or an OpenMP runtime this
    /// cannot reach.</summary>
    /// <param name="work">What is timed, for the log ("training steps").</param>
    /// <param name="log">Receives a line whenever the count changes, with the timings behind it.</param>
    /// <param name="splittable">Calls may be cut into single-threaded parts (see <see cref="ThreadPlan"/>).</param>
    /// <param name="splitRequiredGain">The gain that parts need to be taken (see <see cref="SplitRequiredGain"/>).</param>
    /// <remarks>A process started with <c>nice</c> starts with one thread: beside any busy process of normal priority
    /// the scheduler keeps its threads on one core, where a team of two is several times slower than one thread, and
    /// on a quiet machine the first trial takes every thread back within seconds. A process with far fewer CPUs than
    /// libtorch has threads (a container's CPU limit, an affinity mask: <see cref="CpuLimit"/>) starts with two threads
    /// per CPU, instead of halving its way down from a team sized for the whole host.</remarks>
    public static IntraOpThreadTuner? ForThisThread(string work, Action<string>? log, bool splittable = false,
        double splitRequiredGain = SplitRequiredGain) =>
        ForThisThread(work, log, splittable, Environment.ProcessorCount, splitRequiredGain);

    internal static IntraOpThreadTuner? ForThisThread(string work, Action<string>? log, bool splittable, int usableCpus,
        double splitRequiredGain = SplitRequiredGain)
    {
        if (CpuLimit.UserSetCount())
            return null;
        if (PerThreadTorchThreads.CurrentThreads() is not (> 1 and var threads))
            return null;
        var nice = ProcessNiceness();
        var start = nice > 0 ? 1 : CpuLimit.Start(threads, usableCpus);
        if (nice > 0)
            log?.Invoke($"Threads: {work} start with 1 thread of {threads} (the process runs with a lower priority, nice " +
                $"{nice}) and take more once they prove faster. Set OMP_NUM_THREADS to keep a fixed count.");
        else if (start < threads)
            log?.Invoke($"Threads: {work} start with {start} of libtorch's {threads} threads (the process may use {usableCpus} " +
                "CPUs: a container's CPU limit or an affinity mask) and take more once they prove faster. Set OMP_NUM_THREADS " +
                "to keep a fixed count.");
        return new IntraOpThreadTuner(threads, work, log, startWith: start < threads ? start : null, splittable: splittable,
            splitRequiredGain: splitRequiredGain);
    }

    // The process's nice value (0 where it cannot be read).
    internal static int ProcessNiceness()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return 0;
        Marshal.SetLastPInvokeError(0);
        var nice = GetPriority(0, 0); // PRIO_PROCESS, this process
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? 0 : nice;
    }

    [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static extern int GetPriority(int which, int who);

    /// <summary>The gain that parts need to be taken.</summary>
    internal double SplitGain { get; }

    /// <summary>The plans it chooses from, the most threads first.</summary>
    internal IReadOnlyList<ThreadPlan> Plans => candidates;

    /// <summary>How the next call runs.</summary>
    public ThreadPlan Plan => candidates[trial ?? current];

    /// <summary>The libtorch thread count of the thread that runs the next call (one when it is cut into parts).</summary>
    public int Threads => Plan.CallingThreadCount;

    /// <summary>Sets the calling thread's count for one call that follows <see cref="Plan"/>; disposing it restores the
    /// count and times the call.</summary>
    /// <param name="items">Images in the call (timings are compared per image).</param>
    public Call Run(int items) => new(this, PerThreadTorchThreads.Use(Threads), items, now());

    /// <summary>Sets the calling thread's count for other work beside the timed calls (validation passes), untimed.</summary>
    public PerThreadTorchThreads.Scope Hold() => PerThreadTorchThreads.Use(candidates[current].CallingThreadCount);

    /// <summary>Adds one timed call of <paramref name="items"/> items at <see cref="Threads"/> threads.</summary>
    internal void Record(TimeSpan elapsed, int items)
    {
        if (items <= 0)
            return;
        var sample = new Sample(elapsed.TotalSeconds, items);
        if (skip > 0)
        {
            skip--;
            if (warmUp is { } skipped)
            {
                warmUp = skipped + elapsed;
                if (skip == 0 || warmUp >= MeasurementTime)
                    (skip, warmUp) = (0, null);
            }
            // A trial's first call is not timed (its threads may be new), but creating threads never makes a call this slow.
            if (trial is not null && Hopeless(sample, margin: HopelessTrial * 2))
            {
                trialSamples.Add(sample);
                EndTrial();
            }
            return;
        }
        if (trial is null)
        {
            Keep(currentSamples, sample);
            if (Complete(currentSamples) && now() >= nextTrial && Neighbour() is { } next)
                StartTrial(next);
            return;
        }
        trialSamples.Add(sample);
        if (TrialComplete() || Hopeless(sample, margin: HopelessTrial))
            EndTrial();
    }

    private int? Neighbour()
    {
        var fewer = current + 1 < candidates.Length ? current + 1 : (int?)null;
        var more = current > 0 ? current - 1 : (int?)null;
        var next = tryFewerNext ? fewer ?? more : more ?? fewer;
        tryFewerNext = !tryFewerNext;
        return next;
    }

    private void StartTrial(int candidate)
    {
        trial = candidate;
        trialSamples.Clear();
        trialStarted = now();
        skip = 1;
    }

    private void EndTrial()
    {
        var mine = PerItem(currentSamples);
        var theirs = PerItem(trialSamples);
        var cost = now() - trialStarted;
        var left = current;
        var tried = trial!.Value;
        trial = null;
        // Going back to the plan just left needs no gain: the switch rested on one noisy measurement, and where it was
        // wrong (on a quiet VM the first dozen calls run slow, which can make one thread look faster than the team) a
        // required gain would keep the wrong plan until the next trial, seconds to minutes later.
        var undoing = tried == justLeft;
        justLeft = null;
        // Parts need a larger gain only where calls were cut: a call of one item runs whole on one thread, as with fewer threads.
        var cut = candidates[tried].Split && !candidates[left].Split && trialSamples.Any(s => s.Items > 1);
        var required = undoing ? 0 : cut ? SplitGain : RequiredGain;
        if (theirs < mine * (1 - required))
        {
            var reason = tried > left ? "other processes compete for the cores" : "the cores are free again";
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"Threads: {work} now use {candidates[tried]} instead of {candidates[left]} " +
                $"({theirs * 1000:0.###} ms instead of {mine * 1000:0.###} ms per image: {reason}). " +
                $"Set OMP_NUM_THREADS to keep a fixed count."));
            current = tried;
            currentSamples.Clear();
            currentSamples.AddRange(trialSamples);
            interval = FirstInterval;
            if (undoing)
            {
                nextTrial = now() + interval;
                return;
            }
            // A measurement can mislead on a busy machine, and a wrong switch costs far more than a check: the count just
            // left is tried again right away, and the switch is undone if it was wrong.
            justLeft = left;
            tryFewerNext = left > current;
            nextTrial = now();
            return;
        }
        // The count in use is measured afresh (conditions change) and trials thin out while they keep losing; a trial
        // costs at most about a tenth of the time, however slow the other count is.
        currentSamples.Clear();
        skip = 1;
        interval = interval * 2 < LongestInterval ? interval * 2 : LongestInterval;
        nextTrial = now() + (cost * 10 > interval ? cost * 10 : interval);
    }

    // One timed call: its length and its items.
    private readonly record struct Sample(double Seconds, int Items)
    {
        public double PerItem => Seconds / Items;
    }

    // A trial call so much slower per item than the plan in use that the trial cannot win.
    private bool Hopeless(Sample sample, double margin) =>
        currentSamples.Count > 0 && sample.PerItem > PerItem(currentSamples) * margin;

    // Undoing a switch needs no gain (EndTrial), so a close result is measured twice as long before it decides.
    private bool TrialComplete() =>
        Complete(trialSamples)
        && (trial != justLeft || Complete(trialSamples, spans: 2)
            || Math.Abs(PerItem(trialSamples) / PerItem(currentSamples) - 1) >= RequiredGain);

    // A measurement is complete after MinimumSamples calls spanning `spans` times MeasurementTime, after two calls spanning
    // twice that (a call that long already averages over thousands of operators; beside busy processes a starved team's
    // call took 3 s), or after MaximumSamples calls.
    private static bool Complete(List<Sample> samples, int spans = 1)
    {
        var seconds = samples.Sum(s => s.Seconds);
        return samples.Count >= MaximumSamples * spans
               || (samples.Count >= MinimumSamples && seconds >= MeasurementTime.TotalSeconds * spans)
               || (samples.Count >= 2 && seconds >= MeasurementTime.TotalSeconds * spans * 2);
    }

    // The latest calls in use, as many as one measurement needs.
    private static void Keep(List<Sample> samples, Sample sample)
    {
        samples.Add(sample);
        while (samples.Count > MinimumSamples
               && (samples.Count > MaximumSamples || samples.Sum(s => s.Seconds) - samples[0].Seconds >= MeasurementTime.TotalSeconds))
            samples.RemoveAt(0);
    }

    // Time per item over the whole measurement, not the median call: beside busy processes a team's calls are fast most
    // of the time and stall now and then for ten times as long (eca_nfnet_l0 scoring one image beside two: 170–740 ms,
    // then 2.3–2.9 s), and the stalls are what the user waits for. The median hid them: on those traces' figures it kept
    // the team, four times slower, for most calls in 4 draws of 20 (IntraOpThreadTunerTests), and one such run was 15× slower than quiet.
    private static double PerItem(List<Sample> samples) => samples.Sum(s => s.Seconds) / samples.Sum(s => s.Items);

    /// <summary>One timed call: restores the thread's count and records the time when disposed.</summary>
    public readonly struct Call(IntraOpThreadTuner tuner, PerThreadTorchThreads.Scope threads, int items, TimeSpan started) : IDisposable
    {
        public void Dispose()
        {
            threads.Dispose();
            tuner.Record(tuner.now() - started, items);
        }
    }
}

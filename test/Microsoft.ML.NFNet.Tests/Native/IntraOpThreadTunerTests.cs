namespace Microsoft.ML.NFNet.Tests.Native;

/// <summary>
/// The thread-count tuner's choices on simulated machines (a clock of its own, costs per image for each thread count),
/// and that it really sets the calling thread's libtorch thread count.
/// </summary>
[TestClass]
public class IntraOpThreadTunerTests
{
    private const int BatchSize = 32;

    // Runs `calls` calls of one batch each; cost(threads, call) is the seconds per image. Returns the thread count of each call.
    private static int[] Simulate(IntraOpThreadTuner tuner, ref TimeSpan clock, int calls, Func<int, int, double> cost, int firstCall = 0) =>
        SimulatePlans(tuner, ref clock, calls, (plan, call) => cost(plan.CallingThreadCount, firstCall + call))
            .Select(plan => plan.CallingThreadCount).ToArray();

    // The same with the tuner's plans: cost(plan, call) is the seconds per image. Returns the plan of each call.
    private static ThreadPlan[] SimulatePlans(IntraOpThreadTuner tuner, ref TimeSpan clock, int calls, Func<ThreadPlan, int, double> cost)
    {
        var used = new ThreadPlan[calls];
        for (var i = 0; i < calls; i++)
        {
            used[i] = tuner.Plan;
            var elapsed = TimeSpan.FromSeconds(cost(used[i], i) * BatchSize);
            clock += elapsed;
            tuner.Record(elapsed, BatchSize);
        }
        return used;
    }

    private static IntraOpThreadTuner Tuner(int maxThreads, Func<TimeSpan> clock, List<string>? log = null) =>
        new(maxThreads, "training steps", log is null ? null : log.Add, clock);

    [TestMethod]
    public void OnAQuietMachineEveryThreadIsKeptAndTrialsCostLittle()
    {
        var clock = TimeSpan.Zero;
        var log = new List<string>();
        var tuner = Tuner(2, () => clock, log);
        // 2 threads: 2 ms per image; 1 thread: 3.6 ms (what a quiet 2-core machine gives for a mid-size network).
        var used = Simulate(tuner, ref clock, 2_000, (threads, _) => threads == 2 ? 0.002 : 0.0036);

        Assert.AreEqual(2, tuner.Threads);
        Assert.IsEmpty(log, string.Join("\n", log));
        var trialCalls = used.Count(t => t == 1);
        Assert.IsGreaterThan(0, trialCalls, "the tuner never tried another count");
        // Trial calls are 1.8 times as slow here: they must stay a small share of the time.
        Assert.IsLessThan(0.05, trialCalls * 0.0036 / used.Sum(t => t == 2 ? 0.002 : 0.0036),
            $"{trialCalls} of {used.Length} calls ran with one thread");
    }

    [TestMethod]
    public void WhenOtherProcessesStarveATeamMemberFewerThreadsAreChosenQuicklyAndTheReasonIsLogged()
    {
        var clock = TimeSpan.Zero;
        var log = new List<string>();
        var tuner = Tuner(2, () => clock, log);
        // Beside a busy process at the same priority: the 2-thread team waits for its starved member (8 ms per image);
        // one thread runs on the free core (3 ms).
        var used = Simulate(tuner, ref clock, 200, (threads, _) => threads == 2 ? 0.008 : 0.003);

        Assert.AreEqual(1, tuner.Threads);
        var firstSingle = Array.IndexOf(used, 1);
        Assert.IsLessThan(10, firstSingle, "the first trial came late");
        Assert.IsGreaterThan(0.9, used.Skip(20).Count(t => t == 1) / (double)(used.Length - 20));
        Assert.HasCount(1, log);
        StringAssert.Contains(log[0], "1 threads instead of 2");
        StringAssert.Contains(log[0], "OMP_NUM_THREADS");
    }

    [TestMethod]
    public void WhenTheMachineGetsQuietAgainEveryThreadIsTakenBack()
    {
        var clock = TimeSpan.Zero;
        var log = new List<string>();
        var tuner = Tuner(2, () => clock, log);
        Simulate(tuner, ref clock, 300, (threads, _) => threads == 2 ? 0.008 : 0.003);
        Assert.AreEqual(1, tuner.Threads);

        // The competitor ends: 2 threads are twice as fast as one again. Trials come back within minutes of work.
        Simulate(tuner, ref clock, 20_000, (threads, _) => threads == 2 ? 0.0015 : 0.003);

        Assert.AreEqual(2, tuner.Threads);
        Assert.HasCount(2, log, string.Join("\n", log));
        StringAssert.Contains(log[1], "2 threads instead of 1");
    }

    [TestMethod]
    [DataRow(0.03, 1, DisplayName = "ten times slower: its untimed first call ends it")]
    [DataRow(0.012, 2, DisplayName = "four times slower: its untimed first call and one timed call")]
    public void AHopelessTrialEndsAtOnce(double teamCost, int trialCalls)
    {
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(2, "training steps", null, () => clock, startWith: 1);
        // Under nice beside a busy process: the 2-thread team is several times slower than one thread.
        var used = Simulate(tuner, ref clock, 2_000, (threads, _) => threads == 2 ? teamCost : 0.003);

        Assert.AreEqual(1, tuner.Threads);
        Assert.AreEqual(1, used[0], "a niced start begins with one thread");
        var runs = Runs(used, 2);
        Assert.IsNotEmpty(runs, "more threads were never tried");
        Assert.IsTrue(runs.All(length => length == trialCalls), "calls per trial: " + string.Join(",", runs));
        Assert.IsLessThan(0.10, used.Count(t => t == 2) * teamCost / used.Sum(t => t == 2 ? teamCost : 0.003), "trials cost little");
    }

    [TestMethod]
    public void ANicedStartTakesEveryThreadOnAQuietMachine()
    {
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(2, "training steps", null, () => clock, startWith: 1);
        var used = Simulate(tuner, ref clock, 200, (threads, _) => threads == 2 ? 0.0015 : 0.003);

        Assert.AreEqual(2, tuner.Threads);
        Assert.IsGreaterThan(0.9, used.Skip(20).Count(t => t == 2) / 180.0);
    }

    private static readonly ThreadPlan Team2 = new(2, false), Parts2 = new(2, true), Team1 = new(1, false);

    [TestMethod]
    public void WorkThatCanBeCutAlsoTriesSingleThreadedPartsBetweenTheWholeTeamAndFewerThreads()
    {
        var clock = TimeSpan.Zero;
        CollectionAssert.AreEqual(new[] { Team2, Parts2, Team1 },
            new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true).Plans.ToArray());
        CollectionAssert.AreEqual(new[] { new ThreadPlan(8, false), new ThreadPlan(8, true), new ThreadPlan(4, false), new ThreadPlan(2, false), new ThreadPlan(1, false) },
            new IntraOpThreadTuner(8, "forward passes", null, () => clock, splittable: true).Plans.ToArray());
        Assert.IsFalse(Tuner(8, () => clock).Plans.Any(plan => plan.Split), "a training step cannot be cut");
        Assert.AreEqual(1, Parts2.CallingThreadCount, "the thread that runs a cut call is one of the single-threaded workers");
    }

    [TestMethod]
    public void BesideBusyProcessesScoringCutsItsBatchesAndOnAQuietMachineKeepsTheTeam()
    {
        var clock = TimeSpan.Zero;
        var log = new List<string>();
        var tuner = new IntraOpThreadTuner(2, "forward passes", log.Add, () => clock, splittable: true);
        // Beside two busy processes (what eca_nfnet_l0 batches of 8 measured): the team stalls, one thread gets two thirds
        // of a core, two single-threaded parts get a core between them.
        var busy = SimulatePlans(tuner, ref clock, 300, (plan, _) => plan == Team2 ? 0.17 : plan == Parts2 ? 0.11 : 0.16);
        Assert.AreEqual(Parts2, tuner.Plan);
        Assert.IsGreaterThan(0.9, busy.Skip(30).Count(plan => plan == Parts2) / 270.0);
        StringAssert.Contains(log[0], "2 parts of one thread each instead of 2 threads");

        // Quiet again: the team is faster (by 17 % here; within RequiredGain the plan in use would stay) and is taken back.
        SimulatePlans(tuner, ref clock, 20_000, (plan, _) => plan == Team2 ? 0.05 : plan == Parts2 ? 0.06 : 0.1);
        Assert.AreEqual(Team2, tuner.Plan);
    }

    [TestMethod]
    public void PartsThatWinByLessThanSplitRequiredGainAreNotTaken()
    {
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true);
        // Parts 14 % faster than the team: more than RequiredGain, less than SplitRequiredGain (a few calls can show that
        // much on a quiet machine where the team is faster in the long run).
        SimulatePlans(tuner, ref clock, 2_000, (plan, _) => plan == Team2 ? 0.05 : plan == Parts2 ? 0.043 : 0.1);

        Assert.AreEqual(Team2, tuner.Plan);
    }

    [TestMethod]
    public void WorkWhosePartsCostLittleTakesThemAtTheOrdinaryGain()
    {
        var clock = TimeSpan.Zero;
        // ONNX Runtime's tuner: parts 14 % faster than the team (its parts beside one busy process were 24–34 % faster).
        var tuner = new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true,
            splitRequiredGain: IntraOpThreadTuner.RequiredGain);
        SimulatePlans(tuner, ref clock, 2_000, (plan, _) => plan == Team2 ? 0.05 : plan == Parts2 ? 0.043 : 0.1);

        Assert.AreEqual(Parts2, tuner.Plan);
    }

    [TestMethod]
    public void NoisyShortCallsOnAQuietMachineKeepTheFasterTeam()
    {
        // What a VM gave for eca_nfnet_l0 scoring one image, quiet: two threads 55–220 ms from call to call (median about
        // 75) and slower still over the process's first dozen calls, one thread a steady 100–120 ms. Three calls at a
        // time could show one thread ahead and keep it (1 draw in 20 here); a second of calls does not. The first 200
        // calls (the first half minute), for 20 draws of the noise:
        var shares = SharesOverDraws(calls: 200, from: 0, threads: 2, (random, threads, call) => threads == 2
            ? (0.055 + (random.NextDouble() < 0.3 ? random.NextDouble() * 0.165 : random.NextDouble() * 0.04)) * (call < 12 ? 1.8 : 1)
            : 0.1 + random.NextDouble() * 0.02);

        Assert.IsTrue(shares.All(share => share >= 0.85), "share of two-thread calls per draw: " + Format(shares));
    }

    [TestMethod]
    public void ATeamThatStallsNowAndThenLosesToOneSteadyThread()
    {
        // What a VM gave for eca_nfnet_l0 scoring one image beside two busy processes: the two-thread team took 170–740 ms
        // on most calls and 2.3–2.9 s on the others (a member waiting for a core), one thread a steady 220–320 ms. The
        // median call of the team can look as fast as one thread; its time per image is four times as long. The first
        // 150 calls, for 20 draws of the noise:
        var shares = SharesOverDraws(calls: 150, from: 30, threads: 1, (random, threads, _) => threads == 2
            ? random.NextDouble() < 0.6 ? 0.17 + random.NextDouble() * 0.13 : 2.3 + random.NextDouble() * 0.6
            : 0.22 + random.NextDouble() * 0.1);

        Assert.IsTrue(shares.All(share => share >= 0.8), "share of one-thread calls after the first 30, per draw: " + Format(shares));
    }

    // For 20 draws of noise, the share of calls from `from` on that ran with `threads` threads, where one call of one image
    // takes seconds(random, its threads, its index).
    private static List<double> SharesOverDraws(int calls, int from, int threads, Func<Random, int, int, double> seconds)
    {
        var shares = new List<double>();
        for (var seed = 1; seed <= 20; seed++)
        {
            var clock = TimeSpan.Zero;
            var random = new Random(seed);
            var tuner = new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true);
            var matching = 0;
            for (var i = 0; i < calls; i++)
            {
                var elapsed = TimeSpan.FromSeconds(seconds(random, tuner.Threads, i));
                matching += tuner.Threads == threads && i >= from ? 1 : 0;
                clock += elapsed;
                tuner.Record(elapsed, 1);
            }
            shares.Add(matching / (double)(calls - from));
        }
        return shares;
    }

    private static string Format(IEnumerable<double> shares) =>
        string.Join(" ", shares.Select(share => share.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));

    [TestMethod]
    public void AStarvedTeamsLongCallsAreLeftWithinAFewCallsAndNotTriedAgainForLong()
    {
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true);
        // eca_nfnet_l0 scoring one image beside a busy process of higher priority: the team took 2.8–3.1 s per call, one
        // thread 0.33–0.36 s. Three untimed calls and three timed ones took 18 s before one thread was tried.
        var used = Simulate(tuner, ref clock, 60, (threads, _) => threads == 2 ? 3.0 / BatchSize : 0.34 / BatchSize);

        Assert.AreEqual(1, tuner.Threads);
        Assert.IsLessThanOrEqualTo(3, Array.IndexOf(used, 1), "one thread was tried late: " + string.Join(",", used));
        // The check that undoes a wrong switch ends at its first (untimed) call, which is hopeless here.
        Assert.IsLessThanOrEqualTo(4, used.Count(t => t == 2), "team calls: " + string.Join(",", used));
    }

    [TestMethod]
    public void SingleImagesTakeOneThreadWhenItIsFasterByRequiredGainAlone()
    {
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(2, "forward passes", null, () => clock, splittable: true);
        // eca_nfnet_l0 scoring one image beside one busy process: the team 270 ms, one thread 215 ms (20 % faster). A call
        // of one image is never cut, so the parts plan is one thread there and needs no more than RequiredGain.
        for (var i = 0; i < 100; i++)
        {
            var seconds = tuner.Threads == 2 ? 0.27 : 0.215;
            clock += TimeSpan.FromSeconds(seconds);
            tuner.Record(TimeSpan.FromSeconds(seconds), 1);
        }

        Assert.AreEqual(1, tuner.Threads);
    }

    // Lengths of the runs of consecutive calls with `threads` threads.
    private static List<int> Runs(int[] used, int threads)
    {
        var runs = new List<int>();
        for (var i = 0; i < used.Length; i++)
        {
            if (used[i] != threads)
                continue;
            var start = i;
            while (i < used.Length && used[i] == threads)
                i++;
            runs.Add(i - start);
        }
        return runs;
    }

    [TestMethod]
    public void ASmallGainDoesNotMakeItSwitch()
    {
        var clock = TimeSpan.Zero;
        var tuner = Tuner(2, () => clock);
        // One thread 5 % faster: within noise, not worth a different (and differently rounded) computation.
        Simulate(tuner, ref clock, 2_000, (threads, _) => threads == 2 ? 0.002 : 0.0019);

        Assert.AreEqual(2, tuner.Threads);
    }

    [TestMethod]
    public void OnManyCoresItStepsDownByHalvesToTheCountThatIsFastest()
    {
        var clock = TimeSpan.Zero;
        var tuner = Tuner(16, () => clock);
        // Six cores taken by other work: 16 and 8 threads stall, 4 is best, 2 and 1 are slower.
        var costs = new Dictionary<int, double> { [16] = 0.010, [8] = 0.006, [4] = 0.002, [2] = 0.0035, [1] = 0.006 };
        Simulate(tuner, ref clock, 20_000, (threads, _) => costs[threads]);

        Assert.AreEqual(4, tuner.Threads);
    }

    [TestMethod]
    public void InAContainerWithFewerCpusItStartsWithinThemAndTakesMoreOnlyWhereFaster()
    {
        // 16 threads on a host of 16 cores, 4 CPUs of quota: 4 threads are best, every larger team wastes the quota.
        var clock = TimeSpan.Zero;
        var tuner = new IntraOpThreadTuner(16, "training steps", null, () => clock, startWith: 4);
        Assert.AreEqual(4, tuner.Threads, "the first call");
        var costs = new Dictionary<int, double> { [16] = 0.030, [8] = 0.008, [4] = 0.002, [2] = 0.0035, [1] = 0.006 };
        var used = Simulate(tuner, ref clock, 5_000, (threads, _) => costs[threads]);
        Assert.AreEqual(4, tuner.Threads);
        Assert.AreEqual(0, used.Count(t => t == 16), "a team sized for the host ran");

        // Where more threads do run faster (short calls finish in a burst before the quota runs out), it takes them.
        clock = TimeSpan.Zero;
        tuner = new IntraOpThreadTuner(2, "training steps", null, () => clock, startWith: 1);
        Simulate(tuner, ref clock, 5_000, (threads, _) => threads == 2 ? 0.002 : 0.004);
        Assert.AreEqual(2, tuner.Threads);
    }

    [TestMethod]
    public void ThePublicFactoryStartsWithTwoThreadsPerUsableCpuAtMost()
    {
        var threads = PerThreadTorchThreads.CurrentThreads();
        if (threads is not > 1)
            Assert.Inconclusive("one core: nothing to choose");
        if (IntraOpThreadTuner.ProcessNiceness() > 0)
            Assert.Inconclusive("a niced process starts with one thread anyway");
        var fixedCount = Environment.GetEnvironmentVariable("OMP_NUM_THREADS");
        var log = new List<string>();
        try
        {
            // As a process without OMP_NUM_THREADS.
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", null);
            var limited = IntraOpThreadTuner.ForThisThread("training steps", log.Add, splittable: false, usableCpus: 1)!;
            Assert.AreEqual(Math.Min(threads.Value, 2), limited.Threads, "one usable CPU");
            using (limited.Run(BatchSize))
                Assert.AreEqual(Math.Min(threads.Value, 2), TorchSharp.torch.get_num_threads());
            Assert.AreEqual(threads > 2 ? 1 : 0, log.Count, string.Join("\n", log));
            if (threads > 2)
                StringAssert.Contains(log[0], "may use 1 CPUs");

            log.Clear();
            Assert.AreEqual(threads, IntraOpThreadTuner.ForThisThread("training steps", log.Add, splittable: false, usableCpus: 64)!.Threads);
            Assert.IsEmpty(log);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", fixedCount);
        }
    }

    [TestMethod]
    public void TheFirstCallOfEachCountIsNotTimed()
    {
        var clock = TimeSpan.Zero;
        var tuner = Tuner(2, () => clock);
        // Every first call after a change is very slow (threads being created), the rest equal: no switch may follow.
        var previous = 0;
        Simulate(tuner, ref clock, 2_000, (threads, _) =>
        {
            var first = threads != previous;
            previous = threads;
            return first ? 0.05 : 0.002;
        });

        Assert.AreEqual(2, tuner.Threads);
    }

    [TestMethod]
    public void ACallRunsWithTheChosenCountOnItsThreadAndRestoresTheCountAfterwards()
    {
        var before = PerThreadTorchThreads.CurrentThreads();
        Assert.IsNotNull(before, "libtorch's OpenMP runtime was not found");
        if (before < 2)
            Assert.Inconclusive("one core: nothing to choose");

        var clock = TimeSpan.Zero;
        var tuner = Tuner(before.Value, () => clock);
        Simulate(tuner, ref clock, 50, (threads, _) => threads == before ? 0.008 : 0.001);
        Assert.AreEqual(before.Value / 2, tuner.Threads);

        int? inside;
        using (tuner.Run(BatchSize))
            inside = PerThreadTorchThreads.CurrentThreads();
        Assert.AreEqual(before.Value / 2, inside);
        Assert.AreEqual(before, PerThreadTorchThreads.CurrentThreads());
        // And libtorch itself sees it.
        using (tuner.Run(BatchSize))
            Assert.AreEqual(before.Value / 2, TorchSharp.torch.get_num_threads());
    }

    [TestMethod]
    public void AThreadCountFixedByTheUserIsLeftAlone()
    {
        // The test run fixes OMP_NUM_THREADS (TestAssemblySetup), as a user does for bit-reproducible runs.
        Assert.IsFalse(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")));
        Assert.IsNull(IntraOpThreadTuner.ForThisThread("training steps", null));
    }

    [TestMethod]
    public void ScoringsForwardPassesAreTunedUnlessTheUserFixesTheCount()
    {
        if (PerThreadTorchThreads.CurrentThreads() is not > 1)
            Assert.Inconclusive("one core: nothing to choose");
        var fixedCount = Environment.GetEnvironmentVariable("OMP_NUM_THREADS");
        using var network = new ScoringNetwork(new NFNetModel(TinyConfigs.Light, 3), new ImagePreprocessingOptions { ImageSize = 32 }, "test");
        using var batch = TorchSharp.torch.rand(2, 3, 32, 32);
        try
        {
            network.RunPreprocessed(batch, NetworkOutput.Probabilities);
            Assert.IsNull(network.ForwardThreads, "OMP_NUM_THREADS is set");

            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", null);
            using var unfixed = new ScoringNetwork(new NFNetModel(TinyConfigs.Light, 3), new ImagePreprocessingOptions { ImageSize = 32 }, "test");
            for (var i = 0; i < 5; i++)
                unfixed.RunPreprocessed(batch, NetworkOutput.Probabilities);
            Assert.IsNotNull(unfixed.ForwardThreads, "the passes are timed");
            Assert.IsTrue(unfixed.ForwardThreads.Threads is >= 1 && unfixed.ForwardThreads.Threads <= PerThreadTorchThreads.CurrentThreads());
            Assert.IsTrue(unfixed.ForwardThreads.Plans.Any(plan => plan.Split), "scoring batches may be cut into parts");
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", fixedCount);
        }
    }
}

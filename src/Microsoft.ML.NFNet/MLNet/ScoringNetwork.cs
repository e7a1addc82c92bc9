using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>What <see cref="ScoringNetwork.Run"/> returns per image.</summary>
internal enum NetworkOutput
{
    /// <summary>Softmax class probabilities, <see cref="NFNetModel.NumClasses"/> per image.</summary>
    Probabilities,

    /// <summary>Pooled pre-logits features (<see cref="NFNetModel.ForwardFeatures"/>), <see cref="NFNetModel.NumFeatures"/> per image.</summary>
    Features,
}

/// <summary>
/// A network in eval mode, frozen for scoring, that any number of threads score with, and that can be freed while they
/// do: images are preprocessed in parallel outside the lock, the forward passes take turns (libtorch or ONNX Runtime
/// already spreads one pass over every core; how many threads it uses, and whether a batch is cut into single-threaded
/// parts, follows the machine's load, <see cref="IntraOpThreadTuner"/>, one tuner per engine), and
/// <see cref="Dispose"/> waits for the pass in flight, frees the native weights and makes
/// every later call fail with <see cref="ObjectDisposedException"/>. Probabilities come from TorchSharp or, when
/// <see cref="ScoringEngine"/> says so, from ONNX Runtime on the same weights.
/// </summary>
internal sealed class ScoringNetwork : IDisposable
{
    private readonly ImageBatcher batcher;
    private readonly string owner;
    private readonly Lock forwardLock = new();
    // Serializes engine switches and disposal; held while a switch exports the network, which forward passes need not wait for.
    private readonly Lock engineLock = new();
    private bool disposed;
    private NFNetScoringEngine scoringEngine;
    // The ONNX Runtime session while ScoringEngine is OnnxRuntime.
    private OnnxRuntimeScorer? onnxRuntime;
    // The forward passes' libtorch threads, timed and chosen as the load changes (CPU, TorchSharp engine only); made by
    // the first pass, from the count of the thread that runs it (under the forward lock).
    private readonly Lazy<IntraOpThreadTuner?> threads =
        new(() => IntraOpThreadTuner.ForThisThread("forward passes", log: null, splittable: true), LazyThreadSafetyMode.None);
    // ONNX Runtime's intra-op threads, chosen the same way (a session per count: OnnxRuntimeScorer). Its parts need only
    // the ordinary gain: on a quiet machine they were within 0–8 % of its team (eca_nfnet_l0, batches of 8), beside a
    // busy process 24–34 % faster, around libtorch's SplitRequiredGain of 25 %, which kept the slower team.
    private readonly Lazy<IntraOpThreadTuner?> onnxRuntimeThreads =
        new(() => IntraOpThreadTuner.ForThisThread("ONNX Runtime passes", log: null, splittable: true,
            splitRequiredGain: IntraOpThreadTuner.RequiredGain), LazyThreadSafetyMode.None);

    /// <param name="model">Owned from now on; put in eval mode.</param>
    /// <param name="preprocessing">The scoring preprocessing (validated here).</param>
    /// <param name="owner">The public type that holds this network, named in the disposal error.</param>
    public ScoringNetwork(NFNetModel model, ImagePreprocessingOptions preprocessing, string owner)
    {
        batcher = new ImageBatcher(preprocessing);
        Model = model;
        this.owner = owner;
        Model.eval();
        Model.FreezeForScoring();
    }

    /// <summary>The network (do not change its weights or mode while it scores).</summary>
    public NFNetModel Model { get; }

    /// <summary>The scoring preprocessing.</summary>
    public ImagePreprocessingOptions Preprocessing => batcher.Options;

    /// <summary>The TorchSharp engine's number format (see <see cref="NFNetModelParameters.InferencePrecision"/>).</summary>
    public NFNetPrecision InferencePrecision
    {
        get => Model.InferencePrecision;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{nameof(InferencePrecision)} must be one of: " +
                    string.Join(", ", Enum.GetNames<NFNetPrecision>()) + ".");
            lock (forwardLock)
            {
                ThrowIfDisposed();
                Model.InferencePrecision = value;
            }
        }
    }

    /// <summary>What computes probabilities (see <see cref="NFNetModelParameters.ScoringEngine"/>); features always come
    /// from TorchSharp.</summary>
    public NFNetScoringEngine ScoringEngine
    {
        get => scoringEngine;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{nameof(ScoringEngine)} must be one of: " +
                    string.Join(", ", Enum.GetNames<NFNetScoringEngine>()) + ".");
            lock (engineLock)
            {
                ThrowIfDisposed();
                if (value == scoringEngine)
                    return;
                // Exporting and building the session take seconds and only read the weights: scoring goes on meanwhile.
                var session = value == NFNetScoringEngine.OnnxRuntime
                    ? OnnxRuntimeScorer.Create(Model, Preprocessing, CpuLimit.WithinThisProcess(get_num_threads()))
                    : null;
                lock (forwardLock)
                {
                    onnxRuntime?.Dispose();
                    onnxRuntime = session;
                    scoringEngine = value;
                    // TorchSharp's frozen weights are of no use while ONNX Runtime scores (it holds its own copy).
                    if (session is null)
                        Model.FreezeForScoring();
                    else
                        Model.Unfreeze();
                }
            }
        }
    }

    /// <summary>How many floats <see cref="Run"/> returns per image.</summary>
    public int Width(NetworkOutput output) => output == NetworkOutput.Probabilities ? Model.NumClasses : Model.NumFeatures;

    /// <summary>
    /// The network's outputs for a batch, row-major <c>[images, Width(output)]</c>.
    /// </summary>
    /// <param name="images">Encoded images.</param>
    /// <param name="output">Probabilities or features.</param>
    /// <param name="invalidImages">Null: the first image that cannot be decoded fails the call
    /// (<see cref="InvalidImageException"/> with its batch position). Otherwise one entry per image: such an image's
    /// exception is stored there and its row of the result is meaningless; the others are scored.</param>
    /// <exception cref="ObjectDisposedException">The network was freed.</exception>
    public float[] Run(IReadOnlyList<ReadOnlyMemory<byte>> images, NetworkOutput output, InvalidImageException?[]? invalidImages = null)
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = invalidImages is null
            ? batcher.CreateEvaluationBatch(images)
            : batcher.CreateEvaluationBatch(images, invalidImages);
        return RunPreprocessed(batch, output);
    }

    /// <summary>The outputs for a preprocessed float32 batch <c>[B, 3, H, W]</c>, row-major.</summary>
    internal float[] RunPreprocessed(Tensor batch, NetworkOutput output)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        lock (forwardLock)
        {
            ThrowIfDisposed();
            var tuner = Model.Classifier.weight!.device.type != DeviceType.CPU ? null
                : OnnxRuntimeComputes(output) ? onnxRuntimeThreads.Value
                : threads.Value;
            var plan = tuner?.Plan;
            // Before the call is timed: a thread count's first ONNX Runtime call opens its session (an export and a build).
            OpenOnnxRuntimeSession(plan, output);
            using var timed = tuner?.Run((int)batch.shape[0]);
            return RunPlanned(batch, output, plan);
        }
    }

    /// <summary>
    /// <see cref="RunPreprocessed"/> as <paramref name="plan"/> says: whole on the calling thread's libtorch threads or
    /// ONNX Runtime's session of the plan's count, or cut into parts (<see cref="RunInParts"/>); null: whole, on the
    /// thread's count or the session opened first. The caller holds the forward lock.
    /// </summary>
    internal float[] RunPlanned(Tensor batch, NetworkOutput output, ThreadPlan? plan) =>
        plan is { Split: true } && batch.shape[0] > 1
            ? RunInParts(batch, output, plan.Value.Threads)
            : RunWhole(batch, output, OpenOnnxRuntimeSession(plan, output));

    private bool OnnxRuntimeComputes(NetworkOutput output) => onnxRuntime is not null && output == NetworkOutput.Probabilities;

    // The thread count of the ONNX Runtime session that runs a whole call of this plan, opened unless it is (null where
    // TorchSharp computes the output).
    private int? OpenOnnxRuntimeSession(ThreadPlan? plan, NetworkOutput output)
    {
        if (!OnnxRuntimeComputes(output))
            return null;
        var threads = plan?.CallingThreadCount ?? onnxRuntime!.DefaultThreads;
        onnxRuntime!.Open(threads);
        return threads;
    }

    /// <summary>
    /// <see cref="RunPreprocessed"/> with the batch cut into at most <paramref name="parts"/> parts that single-threaded
    /// workers (the calling thread one of them) run side by side (on ONNX Runtime, its one-thread session); the caller
    /// holds the forward lock. The same outputs as one pass, but for float rounding: a part's
    /// convolutions see fewer images.
    /// </summary>
    internal float[] RunInParts(Tensor batch, NetworkOutput output, int parts)
    {
        var rows = (int)batch.shape[0];
        parts = Math.Clamp(parts, 1, rows);
        if (OnnxRuntimeComputes(output))
            onnxRuntime!.Open(1);
        var width = Width(output);
        var result = new float[rows * width];
        try
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                // Grad mode, dispose scopes and the OpenMP thread count are all per thread.
                using var singleThreaded = PerThreadTorchThreads.SingleThreaded();
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var start = rows * part / parts;
                var length = rows * (part + 1) / parts - start;
                RunWhole(batch.narrow(0, start, length), output, onnxThreads: 1).CopyTo(result, start * width);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        return result;
    }

    // One forward pass over the whole batch on the calling thread (the caller holds the forward lock); ONNX Runtime runs it
    // on its session of onnxThreads threads (null: the default one).
    private float[] RunWhole(Tensor batch, NetworkOutput output, int? onnxThreads)
    {
        var device = Model.Classifier.weight!.device;
        if (output == NetworkOutput.Features)
            return ToFloats(Model.ForwardFeatures(batch.to(device)));
        // Where the probabilities are computed: the model's device for TorchSharp, the CPU for ONNX Runtime.
        var input = onnxRuntime is null ? batch.to(device) : batch;
        var views = Preprocessing.TestTimeAugmentation
            ? TestTimeViews.Of(input, mirror: Preprocessing.HorizontalFlipProbability > 0)
            : [input];
        Tensor? sum = null;
        var count = 0;
        foreach (var view in views)
        {
            var probabilities = Probabilities(view, onnxThreads).to(ScalarType.Float32);
            sum = sum is null ? probabilities : sum.PlusInPlace(probabilities);
            count++;
        }
        if (count == 1)
            return ToFloats(sum!);
        using var viewCount = count.ToScalar();
        return ToFloats(sum!.div_(viewCount));
    }

    /// <summary>What chooses TorchSharp's forward passes' threads; null before the first pass, and where nothing is
    /// chosen (one core, <c>OMP_NUM_THREADS</c> set, a GPU).</summary>
    internal IntraOpThreadTuner? ForwardThreads => threads.IsValueCreated ? threads.Value : null;

    /// <summary>What chooses ONNX Runtime's intra-op threads; null before its first pass, and where nothing is chosen.</summary>
    internal IntraOpThreadTuner? OnnxRuntimeThreads => onnxRuntimeThreads.IsValueCreated ? onnxRuntimeThreads.Value : null;

    /// <summary>The ONNX Runtime session's scorer while <see cref="ScoringEngine"/> is ONNX Runtime (for tests).</summary>
    internal OnnxRuntimeScorer? OnnxRuntime => onnxRuntime;

    // Softmax probabilities of one preprocessed batch from the current engine (the caller holds the lock).
    private Tensor Probabilities(Tensor batch, int? onnxThreads) => onnxRuntime is not null
        ? tensor(onnxRuntime.Score(batch, onnxThreads), [batch.shape[0], Model.NumClasses])
        : nn.functional.softmax(Model.call(batch), dim: 1);

    private static float[] ToFloats(Tensor result) => result.to(ScalarType.Float32).cpu().data<float>().ToArray();

    /// <summary>Runs <paramref name="read"/> on the model while no forward pass runs (saving, exporting).</summary>
    /// <exception cref="ObjectDisposedException">The network was freed.</exception>
    public T WithModel<T>(Func<NFNetModel, T> read)
    {
        lock (forwardLock)
        {
            ThrowIfDisposed();
            return read(Model);
        }
    }

    /// <summary>Frees the native weights once the forward pass in flight (if any) has finished.</summary>
    public void Dispose()
    {
        lock (engineLock)
        lock (forwardLock)
        {
            if (disposed)
                return;
            Volatile.Write(ref disposed, true);
            onnxRuntime?.Dispose();
            onnxRuntime = null;
            Model.Dispose();
        }
    }

    /// <summary>Throws the <see cref="ObjectDisposedException"/> that explains disposal once the network is freed.</summary>
    public void ThrowIfDisposed()
    {
        if (Volatile.Read(ref disposed))
            throw new ObjectDisposedException(owner,
                $"This {owner} was disposed, which freed its network's native memory: transformer.Dispose() was called on it " +
                "(or on a pipeline that holds it), or a PredictionEngine that owned it was disposed — engines own their " +
                "transformer by default. To dispose engines while others keep scoring, create them with " +
                "mlContext.Model.CreatePredictionEngine<TIn, TOut>(model, new PredictionEngineOptions { OwnsTransformer = false }). " +
                "Load the model again to score with it.");
    }
}

using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Scores preprocessed image batches with ONNX Runtime on the model exported in memory (fixed input size, dynamic batch,
/// probabilities only): the <see cref="NFNetScoringEngine.OnnxRuntime"/> engine of <see cref="NFNetModelParameters"/>.
/// </summary>
/// <remarks>An ONNX Runtime session's intra-op thread count is fixed when it opens, so each count the thread tuner
/// chooses gets a session of its own, opened on first use (<see cref="Open"/>) from a fresh export of the same weights.
/// Beside busy processes one thread scored eca_nfnet_l0 faster than a team of two (docs/performance.md, "Under load").
/// Each session holds a copy of the weights, so at most <see cref="MaxOpenSessions"/> stay open: the count in use and
/// the two the tuner tries next to it.</remarks>
internal sealed class OnnxRuntimeScorer : IDisposable
{
    /// <summary>Sessions kept open; opening another closes the one used least recently.</summary>
    public const int MaxOpenSessions = 3;

    private readonly Func<byte[]> export;
    private readonly Dictionary<int, Session> sessions = [];
    private readonly Dictionary<int, long> lastOpened = [];
    private readonly RunOptions runOptions;
    private long opens;

    // The first session is opened before anything else of ONNX Runtime's is created: its failure is the one that
    // explains a missing native library (Session.Open).
    private OnnxRuntimeScorer(Func<byte[]> export, Session first, int threads)
    {
        this.export = export;
        DefaultThreads = threads;
        sessions[threads] = first;
        Open(threads); // marks it used
        runOptions = new RunOptions();
    }

    /// <summary>The intra-op thread count of the session opened first, which calls use unless they say otherwise.</summary>
    public int DefaultThreads { get; }

    /// <summary>Exports <paramref name="model"/> (its weights as they are now) and opens an ONNX Runtime session on it
    /// with <paramref name="threads"/> intra-op threads. The model must outlive the scorer: sessions of other thread
    /// counts are exported from it when first opened.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (the message says which
    /// package to add).</exception>
    public static OnnxRuntimeScorer Create(NFNetModel model, ImagePreprocessingOptions preprocessing, int threads)
    {
        Func<byte[]> export = () => NFNetOnnxExporter.ExportToBytes(model,
            new NFNetOnnxExportOptions { Preprocessing = preprocessing, IncludeFeatures = false });
        threads = Math.Max(1, threads);
        var first = Session.Open(export(), threads);
        try
        {
            return new OnnxRuntimeScorer(export, first, threads);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>Opens the session of <paramref name="threads"/> intra-op threads unless it is open (an export of the
    /// weights and a session build: about a second for eca_nfnet_l0), and marks it used; not thread-safe (callers
    /// serialize it with the calls that score, and open a session before every call that uses it).</summary>
    public void Open(int threads)
    {
        threads = Math.Max(1, threads);
        lastOpened[threads] = ++opens;
        if (sessions.ContainsKey(threads))
            return;
        sessions[threads] = Session.Open(export(), threads);
        if (sessions.Count <= MaxOpenSessions)
            return;
        var leastRecent = sessions.Keys.MinBy(count => lastOpened[count]);
        sessions[leastRecent].Dispose();
        sessions.Remove(leastRecent);
    }

    /// <summary>Softmax probabilities of a float32 batch [B, 3, H, W] of the export's size, row-major [B, classes], from
    /// the session of <paramref name="threads"/> threads (<see cref="Open"/> it first; concurrent calls may share it), or
    /// of <see cref="DefaultThreads"/>.</summary>
    public float[] Score(Tensor batch, int? threads = null)
    {
        var session = sessions[Math.Max(1, threads ?? DefaultThreads)].Inference;
        using var contiguous = batch.to(ScalarType.Float32, CPU).contiguous();
        var pixels = contiguous.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, contiguous.shape);
        using var outputs = session.Run(runOptions, [NFNetOnnxExporter.InputName], [input], [NFNetOnnxExporter.ProbabilitiesName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The thread counts with an open session (for tests).</summary>
    internal IReadOnlyCollection<int> OpenThreadCounts => sessions.Keys;

    public void Dispose()
    {
        foreach (var session in sessions.Values)
            session.Dispose();
        sessions.Clear();
        runOptions.Dispose();
    }

    // One session and the options it was opened with (ONNX Runtime needs them alive as long as the session).
    private sealed class Session(SessionOptions options, InferenceSession inference) : IDisposable
    {
        public InferenceSession Inference => inference;

        public static Session Open(byte[] onnx, int threads)
        {
            SessionOptions? options = null;
            try
            {
                options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    IntraOpNumThreads = threads,
                    InterOpNumThreads = 1,
                };
                return new Session(options, new InferenceSession(onnx, options));
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
                                          or BadImageFormatException)
            {
                options?.Dispose();
                throw new InvalidOperationException(
                    "NFNetScoringEngine.OnnxRuntime needs ONNX Runtime's native library, which could not be loaded. Add the " +
                    "'Microsoft.ML.OnnxRuntime' package (the CPU runtime, same version as the Microsoft.ML.OnnxRuntime.Managed " +
                    "package this library references) to your application project, or score with NFNetScoringEngine.TorchSharp. " +
                    "Loader message: " + e.GetBaseException().Message, e);
            }
            catch
            {
                options?.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            inference.Dispose();
            options.Dispose();
        }
    }
}

using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Scores preprocessed image batches with ONNX Runtime on the model exported in memory (fixed input size, dynamic batch,
/// probabilities only): the <see cref="NFNetScoringEngine.OnnxRuntime"/> engine of <see cref="NFNetModelParameters"/>.
/// </summary>
internal sealed class OnnxRuntimeScorer : IDisposable
{
    private readonly SessionOptions options;
    private readonly InferenceSession session;
    private readonly RunOptions runOptions;

    private OnnxRuntimeScorer(SessionOptions options, InferenceSession session)
    {
        this.options = options;
        this.session = session;
        runOptions = new RunOptions();
    }

    /// <summary>Exports <paramref name="model"/> (its weights as they are now) and opens an ONNX Runtime session on it
    /// with <paramref name="threads"/> intra-op threads.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (the message says which
    /// package to add).</exception>
    public static OnnxRuntimeScorer Create(NFNetModel model, ImagePreprocessingOptions preprocessing, int threads)
    {
        var onnx = NFNetOnnxExporter.ExportToBytes(model,
            new NFNetOnnxExportOptions { Preprocessing = preprocessing, IncludeFeatures = false });
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
            return new OnnxRuntimeScorer(options, new InferenceSession(onnx, options));
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
    }

    /// <summary>Softmax probabilities of a float32 batch [B, 3, H, W] of the export's size, row-major [B, classes].</summary>
    public float[] Score(Tensor batch)
    {
        using var contiguous = batch.to(ScalarType.Float32, CPU).contiguous();
        var pixels = contiguous.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, contiguous.shape);
        using var outputs = session.Run(runOptions, [NFNetOnnxExporter.InputName], [input], [NFNetOnnxExporter.ProbabilitiesName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        runOptions.Dispose();
        session.Dispose();
        options.Dispose();
    }
}

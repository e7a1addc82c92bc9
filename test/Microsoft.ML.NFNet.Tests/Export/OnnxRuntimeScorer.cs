using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>Runs an exported model in ONNX Runtime (all graph optimizations on) and returns its outputs as tensors.</summary>
internal sealed class OnnxRuntimeScorer : IDisposable
{
    private readonly SessionOptions options;

    public OnnxRuntimeScorer(string path)
    {
        options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 };
        Session = new InferenceSession(path, options);
    }

    public InferenceSession Session { get; }

    /// <summary>Scores float32 images [B, 3, H, W]; returns every output by name as a float32 tensor.</summary>
    public Dictionary<string, Tensor> Run(Tensor images)
    {
        using var contiguous = images.to(float32).contiguous();
        var data = contiguous.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(data, images.shape);
        var outputNames = Session.OutputNames.ToArray();
        using var runOptions = new RunOptions();
        using var outputs = Session.Run(runOptions, [NFNetOnnxExporter.InputName], [input], outputNames);
        var result = new Dictionary<string, Tensor>();
        for (var i = 0; i < outputNames.Length; i++)
        {
            var shape = outputs[i].GetTensorTypeAndShape().Shape;
            result[outputNames[i]] = tensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), shape);
        }
        return result;
    }

    public void Dispose()
    {
        Session.Dispose();
        options.Dispose();
    }
}

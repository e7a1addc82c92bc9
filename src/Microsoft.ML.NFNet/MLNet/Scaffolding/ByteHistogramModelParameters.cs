using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet.MLNet.Scaffolding;
using Microsoft.ML.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Registers the loader that mlContext.Model.Load finds through the loader signature and assembly name in the model file.
[assembly: LoadableClass(typeof(ByteHistogramModelParameters), null, typeof(SignatureLoadModel),
    "NFNet scaffold: byte-histogram classifier", ByteHistogramModelParameters.LoaderSignature)]

namespace Microsoft.ML.NFNet.MLNet.Scaffolding;

/// <summary>
/// SCAFFOLDING, to be replaced by the NFNet model parameters. The smallest honest proof that a TorchSharp module can
/// live in an ML.NET model file: scores = softmax(linear(byte histogram)), with the linear layer's state dict written
/// into the model zip by <see cref="ModelSaveContext.SaveBinaryStream"/> and read back on load. It plugs into ML.NET
/// the way the real model will: <see cref="IPredictorProducing{TResult}"/> for
/// <see cref="MulticlassPredictionTransformer{TModel}"/>, <see cref="IValueMapper"/> from encoded bytes to scores.
/// </summary>
internal sealed class ByteHistogramModelParameters : ICanSaveModel, IPredictorProducing<VBuffer<float>>, IValueMapper, IDisposable
{
    // At most 24 ASCII characters; stored in the model file and matched by the LoadableClass above.
    internal const string LoaderSignature = "NFNetScaffoldPred";
    private const string WeightsStreamName = "TorchWeights";

    private readonly IHost _host;
    private readonly int _classCount;
    private readonly Linear _linear;

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "NFNSCAFF",
        verWrittenCur: 0x00010001, // Initial
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        // Lets Model.Load load this assembly by itself in a process that never touched it.
        loaderAssemblyName: typeof(ByteHistogramModelParameters).Assembly.FullName);

    /// <param name="env">The host environment.</param>
    /// <param name="weight">[classes, 256] weights of the linear layer.</param>
    /// <param name="bias">[classes] bias of the linear layer.</param>
    internal ByteHistogramModelParameters(IHostEnvironment env, Tensor weight, Tensor bias)
    {
        _host = env.Register(LoaderSignature);
        _classCount = (int)weight.shape[0];
        _linear = nn.Linear(ByteHistogram.Length, _classCount);
        using (no_grad())
        {
            _linear.weight!.copy_(weight);
            _linear.bias!.copy_(bias);
        }
    }

    // Private, while Create is internal: ComponentCatalog refuses a loadable class whose Create and constructor
    // have the same visibility.
    private ByteHistogramModelParameters(IHost host, ModelLoadContext ctx)
    {
        _host = host;

        // *** Binary format ***
        // int: number of classes
        // stream TorchWeights: the linear layer's state dict (TorchSharp Module.save)
        _classCount = ctx.Reader.ReadInt32();
        _host.CheckDecode(_classCount > 1);
        _linear = nn.Linear(ByteHistogram.Length, _classCount);
        if (!ctx.TryLoadBinaryStream(WeightsStreamName, LoadWeights))
            throw _host.ExceptDecode($"The model has no '{WeightsStreamName}' stream.");
    }

    // Called by ML.NET's ComponentCatalog when a model file names this loader.
    internal static ByteHistogramModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = env.Register(LoaderSignature);
        ModelFormat.CheckAtModel(host, ctx, GetVersionInfo());
        return new ByteHistogramModelParameters(host, ctx);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(_classCount);
        ctx.SaveBinaryStream(WeightsStreamName, w => _linear.save(w));
    }

    PredictionKind IPredictor.PredictionKind => PredictionKind.MulticlassClassification;

    DataViewType IValueMapper.InputType { get; } = new VectorDataViewType(NumberDataViewType.Byte);

    DataViewType IValueMapper.OutputType => new VectorDataViewType(NumberDataViewType.Single, _classCount);

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        _host.Check(typeof(TSrc) == typeof(VBuffer<byte>), "The input must be a vector of bytes.");
        _host.Check(typeof(TDst) == typeof(VBuffer<float>), "The output must be a vector of floats.");
        ValueMapper<VBuffer<byte>, VBuffer<float>> map = Score;
        return (ValueMapper<TSrc, TDst>)(Delegate)map;
    }

    public void Dispose() => _linear.Dispose();

    private void Score(in VBuffer<byte> image, ref VBuffer<float> scores)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var features = tensor(ByteHistogram.Compute(image)).unsqueeze(0);
        var probabilities = nn.functional.softmax(_linear.forward(features), dim: 1).squeeze(0);
        var editor = VBufferEditor.Create(ref scores, _classCount);
        probabilities.data<float>().CopyTo(editor.Values);
        scores = editor.Commit();
    }

    private void LoadWeights(BinaryReader reader)
    {
        try
        {
            _linear.load(reader);
        }
        // TorchSharp reports a short stream as EndOfStreamException and a foreign state dict as ArgumentException.
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            throw _host.ExceptDecode(e, $"The '{WeightsStreamName}' stream of the model is corrupt or truncated.");
        }
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The exporter's read-only view of a model's parameters, by timm name: plain tensors from the state dict and the
/// standardized weights Ŵ of the weight-standardized convs, as float32 arrays on the CPU.
/// </summary>
internal sealed class NFNetParameterSource
{
    private readonly NFNetModel model;
    private readonly Dictionary<string, Tensor> stateDict;
    private readonly Dictionary<string, ScaledStdConv2d> convs;

    public NFNetParameterSource(NFNetModel model)
    {
        this.model = model;
        stateDict = model.state_dict();
        convs = model.named_modules()
            .Where(m => m.module is ScaledStdConv2d)
            .ToDictionary(m => m.name, m => (ScaledStdConv2d)m.module, StringComparer.Ordinal);
        if (stateDict.Values.Any(t => t.device_type == DeviceType.META))
            throw new ArgumentException(
                "The model was built on the meta device (shapes only) and has no weights to export; build it on the CPU or a GPU.",
                nameof(model));
    }

    /// <summary>A parameter's values and shape.</summary>
    public (float[] Values, long[] Shape) Tensor(string name)
    {
        if (!stateDict.TryGetValue(name, out var tensor))
            throw Missing(name);
        return (ToFloats(tensor), tensor.shape);
    }

    /// <summary>A scalar parameter (e.g. <c>skipinit_gain</c>).</summary>
    public float Scalar(string name)
    {
        var (values, _) = Tensor(name);
        if (values.Length != 1)
            throw new InvalidOperationException($"Parameter '{name}' of {model.Config.Name} should be a scalar but has {values.Length} values.");
        return values[0];
    }

    /// <summary>
    /// The weight-standardized conv <paramref name="name"/>: Ŵ exactly as the model's forward pass computes it (float32,
    /// the same kernel), its bias, and its geometry, checked against what the layout plans.
    /// </summary>
    public (float[] Weight, long[] Shape, float[] Bias) StandardizedConv(string name, long kernelSize, long stride, long groups)
    {
        if (!convs.TryGetValue(name, out var conv))
            throw Missing(name);
        if (conv.KernelSize != kernelSize || conv.Stride != stride || conv.Groups != groups)
            throw new InvalidOperationException(
                $"Conv '{name}' of {model.Config.Name} is {conv.KernelSize}×{conv.KernelSize}, stride {conv.Stride}, {conv.Groups} groups, " +
                $"but its configuration plans {kernelSize}×{kernelSize}, stride {stride}, {groups} groups.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = conv.StandardizedWeight();
        return (ToFloats(weight), weight.shape, Tensor($"{name}.bias").Values);
    }

    private static float[] ToFloats(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
    }

    private InvalidOperationException Missing(string name) => new(
        $"The {model.Config.Name} model has no parameter or conv named '{name}', which its configuration implies; " +
        "the model does not match its NFNetConfig.");
}

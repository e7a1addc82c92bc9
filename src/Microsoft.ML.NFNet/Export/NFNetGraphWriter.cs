using Microsoft.ML.NFNet.Export.Onnx;
using static Microsoft.ML.NFNet.OnnxGraphBuilder;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Writes an NFNet's eval-mode forward pass as an ONNX graph, walking its configuration and block plan the way
/// <see cref="NFNetModel"/>, <see cref="DeepStem"/> and <see cref="NormFreeBlock"/> build it: operation for operation,
/// in the same order, with the standardized conv weights folded into plain <c>Conv</c> weights. Stochastic depth and
/// dropout are the identity at inference and do not appear.
/// </summary>
internal sealed class NFNetGraphWriter
{
    private readonly NFNetConfig config;
    private readonly NFNetParameterSource parameters;
    private readonly OnnxGraphBuilder g;
    private readonly float activationGamma;

    private NFNetGraphWriter(NFNetModel model, OnnxGraphBuilder builder)
    {
        config = model.Config;
        parameters = new NFNetParameterSource(model);
        g = builder;
        // γ multiplies activations only in the DeepMind layout; otherwise it is already inside every conv's Ŵ.
        activationGamma = config.GammaInActivation ? (float)config.Activation.Gamma() : 1f;
    }

    /// <summary>Builds the graph: input [N, 3, H, W] → probabilities [N, classes] (and features [N, F]).</summary>
    public static GraphProto Write(NFNetModel model, object height, object width, bool includeFeatures, out long initializerBytes)
    {
        var builder = new OnnxGraphBuilder(model.Config.Name);
        new NFNetGraphWriter(model, builder).WriteNetwork(model, height, width, includeFeatures);
        initializerBytes = builder.InitializerBytes;
        return builder.Graph;
    }

    private void WriteNetwork(NFNetModel model, object height, object width, bool includeFeatures)
    {
        const string batch = "batch";
        var x = g.Input(FloatValue(NFNetOnnxExporter.InputName, batch, 3, height, width));

        x = Stem(x);
        foreach (var spec in model.Blocks)
            x = Block(spec, x);
        if (config.NumFeatures > 0)
            x = Conv("final_conv", x, kernelSize: 1);
        x = Activation(x, "final_act");

        var pooled = g.Node("GlobalAveragePool", "head.pool", [x]);
        var features = includeFeatures
            ? g.OutputNode("Flatten", NFNetOnnxExporter.FeaturesName, [pooled], Int("axis", 1))
            : g.Node("Flatten", "head.flatten", [pooled], Int("axis", 1));
        var (weight, weightShape) = parameters.Tensor("head.fc.weight");
        var logits = g.Node("Gemm", "logits", [
            features, g.Initializer("head.fc.weight", weight, weightShape), g.Initializer("head.fc.bias", parameters.Tensor("head.fc.bias").Values, weightShape[0])],
            Int("transB", 1));
        g.OutputNode("Softmax", NFNetOnnxExporter.ProbabilitiesName, [logits], Int("axis", 1));

        g.Output(FloatValue(NFNetOnnxExporter.ProbabilitiesName, batch, model.NumClasses));
        if (includeFeatures)
            g.Output(FloatValue(NFNetOnnxExporter.FeaturesName, batch, model.NumFeatures));
    }

    // DeepStem: conv1 (stride 2), act, conv2, act, conv3, act, conv4 (stride 2); no activation after the last.
    private string Stem(string x)
    {
        x = Conv("stem.conv1", x, kernelSize: 3, stride: 2);
        x = Conv("stem.conv2", Activation(x, "stem.act2"), kernelSize: 3);
        x = Conv("stem.conv3", Activation(x, "stem.act3"), kernelSize: 3);
        return Conv("stem.conv4", Activation(x, "stem.act4"), kernelSize: 3, stride: 2);
    }

    // NormFreeBlock.forward, line for line.
    private string Block(NFBlockSpec spec, string x)
    {
        var name = $"stages.{spec.Stage}.{spec.Index}";
        var preActivated = Multiply(Activation(x, $"{name}.act1"), spec.Beta, $"{name}.beta");
        var shortcut = spec.HasProjection ? Downsample($"{name}.downsample", preActivated, spec.Stride > 1) : x;

        var branch = Conv($"{name}.conv1", preActivated, kernelSize: 1);
        branch = Conv($"{name}.conv2", Activation(branch, $"{name}.act2"), kernelSize: 3, spec.Stride, spec.Groups);
        if (config.ExtraConv)
            branch = Conv($"{name}.conv2b", Activation(branch, $"{name}.act2b"), kernelSize: 3, groups: spec.Groups);
        branch = Conv($"{name}.conv3", Activation(branch, $"{name}.act3"), kernelSize: 1);
        if (config.Attention != NFNetAttention.None)
            branch = Multiply(Attention($"{name}.attn_last", branch, spec.OutChannels), config.AttentionGain, $"{name}.attn_gain");
        if (config.SkipInit)
            branch = g.Node("Mul", $"{name}.skipinit", [branch, g.Scalar(parameters.Scalar($"{name}.skipinit_gain"))]);
        return g.Node("Add", $"{name}.out", [Multiply(branch, config.Alpha, $"{name}.alpha"), shortcut]);
    }

    // DownsampleAvg: 2×2 average pool (ceil mode, padding not counted) when strided, then the 1×1 conv.
    private string Downsample(string name, string x, bool pool)
    {
        if (pool)
            x = g.Node("AveragePool", $"{name}.pool", [x],
                Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1), Int("count_include_pad", 0));
        return Conv($"{name}.conv", x, kernelSize: 1);
    }

    private string Attention(string name, string x, int channels) => config.Attention switch
    {
        NFNetAttention.SqueezeExcite => SqueezeExcite(name, x),
        NFNetAttention.EfficientChannel => EfficientChannel(name, x, channels),
        _ => throw new NotSupportedException($"ONNX export does not know the attention {config.Attention}."),
    };

    // x · σ(fc2(relu(fc1(mean_hw(x))))): fc1/fc2 are 1×1 convs on the pooled [N, C, 1, 1] map, as in timm.
    private string SqueezeExcite(string name, string x)
    {
        var pooled = g.Node("GlobalAveragePool", $"{name}.pool", [x]);
        var hidden = g.Node("Relu", $"{name}.relu", [PlainConv($"{name}.fc1", pooled)]);
        var gate = g.Node("Sigmoid", $"{name}.gate", [PlainConv($"{name}.fc2", hidden)]);
        return g.Node("Mul", name, [x, gate]);
    }

    // x · σ(conv1d(mean_hw(x))) across channels, zero-padded to keep C outputs (timm EcaModule).
    private string EfficientChannel(string name, string x, int channels)
    {
        var (kernel, kernelShape) = parameters.Tensor($"{name}.conv.weight");
        var half = (kernelShape[^1] - 1) / 2;
        var pooled = g.Node("GlobalAveragePool", $"{name}.pool", [x]);
        var sequence = g.Node("Reshape", $"{name}.to_sequence", [pooled, g.Int64Initializer($"{name}.sequence_shape", -1, 1, channels)]);
        var mixed = g.Node("Conv", $"{name}.conv", [sequence, g.Initializer($"{name}.conv.weight", kernel, kernelShape)],
            Ints("kernel_shape", kernelShape[^1]), Ints("pads", half, half));
        var gate = g.Node("Sigmoid", $"{name}.gate", [mixed]);
        var gateMap = g.Node("Reshape", $"{name}.to_map", [gate, g.Int64Initializer($"{name}.map_shape", -1, channels, 1, 1)]);
        return g.Node("Mul", name, [x, gateMap]);
    }

    // A weight-standardized conv with Ŵ folded in. Strided convs pad TF-"SAME" in the DeepMind layout (the odd pixel
    // bottom/right, which auto_pad SAME_UPPER computes from the actual input size, so H and W may be dynamic);
    // everything else pads symmetrically by ((s − 1) + (k − 1)) / 2.
    private string Conv(string name, string x, long kernelSize, long stride = 1, long groups = 1)
    {
        var (weight, shape, bias) = parameters.StandardizedConv(name, kernelSize, stride, groups);
        var attributes = new List<AttributeProto>
        {
            Ints("kernel_shape", kernelSize, kernelSize), Ints("strides", stride, stride), Int("group", groups),
        };
        if (config.SamePadding && stride > 1)
            attributes.Add(String("auto_pad", "SAME_UPPER"));
        else
        {
            var pad = ((stride - 1) + (kernelSize - 1)) / 2;
            attributes.Add(Ints("pads", pad, pad, pad, pad));
        }
        return g.Node("Conv", name, [x, g.Initializer($"{name}.weight", weight, shape), g.Initializer($"{name}.bias", bias, shape[0])],
            [.. attributes]);
    }

    // A plain 1×1 conv with its own weight and bias (squeeze-excite's fc1/fc2).
    private string PlainConv(string name, string x)
    {
        var (weight, shape) = parameters.Tensor($"{name}.weight");
        var bias = parameters.Tensor($"{name}.bias").Values;
        return g.Node("Conv", name, [x, g.Initializer($"{name}.weight", weight, shape), g.Initializer($"{name}.bias", bias, shape[0])],
            Ints("kernel_shape", 1, 1));
    }

    private string Activation(string x, string name)
    {
        var y = OnnxActivations.Apply(g, config.Activation, x, name);
        return activationGamma == 1f ? y : g.Node("Mul", $"{name}.gamma", [y, g.Scalar(activationGamma)]);
    }

    // Multiplies by a Python-float constant the way libtorch does for a float32 tensor: by the value rounded to float32.
    private string Multiply(string x, double factor, string name) => g.Node("Mul", name, [x, g.Scalar((float)factor)]);
}

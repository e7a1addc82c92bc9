using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The NFNet "deep quad" stem (timm <c>stem</c>): four 3×3 weight-standardized convs with strides 2, 1, 1, 2 and an
/// activation between them but not after the last (the first block pre-activates).
/// </summary>
internal sealed class DeepStem : nn.Module<Tensor, Tensor>
{
    private readonly ScaledStdConv2d conv1;
    private readonly ScaledActivation act2;
    private readonly ScaledStdConv2d conv2;
    private readonly ScaledActivation act3;
    private readonly ScaledStdConv2d conv3;
    private readonly ScaledActivation act4;
    private readonly ScaledStdConv2d conv4;

    internal DeepStem(string name, NFNetConfig config, NFLayerFactory layers) : base(name)
    {
        var c = config.StemChannels;
        conv1 = layers.Conv(nameof(conv1), 3, c[0], 3, stride: 2);
        act2 = layers.Activation();
        conv2 = layers.Conv(nameof(conv2), c[0], c[1], 3);
        act3 = layers.Activation();
        conv3 = layers.Conv(nameof(conv3), c[1], c[2], 3);
        act4 = layers.Activation();
        conv4 = layers.Conv(nameof(conv4), c[2], c[3], 3, stride: 2);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = conv1.call(x);
        y = conv2.call(act2.call(y));
        y = conv3.call(act3.call(y));
        y = conv4.call(act4.call(y));
        return y.MoveToOuterDisposeScope();
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.NFNet;

/// <summary>Global average pool, dropout (training only) and the linear classifier <c>fc</c> (timm <c>ClassifierHead</c>).</summary>
internal sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;
    private readonly double dropRate;
    private static readonly Scalar WeightStd = 0.01.ToScalar();
    private static readonly Scalar WeightMean = 0.0.ToScalar();

    /// <param name="name">Module name.</param>
    /// <param name="features">Input features.</param>
    /// <param name="classes">Output classes.</param>
    /// <param name="dropRate">Dropout before the classifier.</param>
    /// <param name="device">Where to create the parameters.</param>
    public ClassifierHead(string name, long features, long classes, double dropRate, Device? device = null) : base(name)
    {
        this.dropRate = dropRate;
        fc = nn.Linear(features, classes, hasBias: true, device: device);
        Reset(classes);
        RegisterComponents();
    }

    /// <summary>Replaces the classifier's parameters with fresh ones for <paramref name="classes"/> outputs.</summary>
    public void Reset(long classes)
    {
        var device = fc.weight.device;
        var features = fc.weight.shape[1];
        // DeepMind and timm: N(0, 0.01) weights, zero bias.
        // What normal(0, 0.01) does (randn·std + mean), with Scalars that outlive the calls (see TorchScalars).
        fc.weight = new Parameter(randn([classes, features], device: device).mul_(WeightStd).PlusInPlace(WeightMean));
        fc.bias = new Parameter(zeros(classes, device: device));
    }

    /// <summary>The classifier layer (excluded from adaptive gradient clipping).</summary>
    public Linear Fc => fc;

    /// <summary>Pools a feature map [B, C, H, W] to [B, C], in float32 under mixed precision (a bfloat16 mean would
    /// round every feature to 8 bits just before the classifier).</summary>
    public static Tensor Pool(Tensor featureMap)
    {
        using var scope = NewDisposeScope();
        var map = featureMap.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? featureMap.to(ScalarType.Float32) : featureMap;
        return F.adaptive_avg_pool2d(map, [1, 1]).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>Logits from pooled features [B, C], always in the classifier's dtype (float32 under mixed precision).</summary>
    public Tensor Classify(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        var features = pooled.dtype == fc.weight.dtype ? pooled : pooled.to(fc.weight.dtype);
        if (training && dropRate > 0)
            features = F.dropout(features, dropRate, training: true);
        return fc.call(features).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor featureMap)
    {
        using var pooled = Pool(featureMap);
        return Classify(pooled);
    }
}

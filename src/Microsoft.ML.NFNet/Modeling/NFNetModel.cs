using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A normalizer-free ResNet (Brock et al. 2021) with timm's module layout and parameter names, so published timm
/// weights (<c>dm_nfnet_f*</c>, <c>nfnet_l0</c>, <c>eca_nfnet_l*</c>) load as they are.
/// </summary>
public sealed class NFNetModel : nn.Module<Tensor, Tensor>
{
    private readonly DeepStem stem;
    private readonly Sequential stages;
    [ComponentName(Name = "final_conv")]
    private readonly ScaledStdConv2d? finalConv;
    [ComponentName(Name = "final_act")]
    private readonly ScaledActivation finalAct;
    private readonly ClassifierHead head;

    /// <summary>Builds the network with freshly initialized weights.</summary>
    /// <param name="config">The architecture (validated).</param>
    /// <param name="numClasses">Outputs of the classifier.</param>
    /// <param name="device">Where to create the parameters; <c>torch.META</c> builds shapes only (e.g. to count parameters).</param>
    /// <exception cref="DllNotFoundException">TorchSharp's native backend cannot be loaded (the message says which package to add).</exception>
    public NFNetModel(NFNetConfig config, int numClasses, Device? device = null) : base(NameAfterNativeCheck())
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Config = config;
        NumClasses = numClasses;
        Blocks = NFNetLayout.Blocks(config);
        NumFeatures = NFNetLayout.NumFeatures(config);
        var layers = new NFLayerFactory(config, device);

        stem = new DeepStem(nameof(stem), config, layers);
        stages = nn.Sequential(Blocks.GroupBy(b => b.Stage).Select(stage =>
            (stage.Key.ToString(), (nn.Module<Tensor, Tensor>)nn.Sequential(stage.Select(spec =>
                (spec.Index.ToString(), (nn.Module<Tensor, Tensor>)new NormFreeBlock(spec.Index.ToString(), spec, config, device)))))));
        if (config.NumFeatures > 0)
            finalConv = layers.Conv("final_conv", Blocks[^1].OutChannels, NumFeatures, 1);
        // With γ folded into convs, timm's final activation has no γ either (nothing follows to absorb it).
        finalAct = layers.Activation();
        head = new ClassifierHead(nameof(head), NumFeatures, numClasses, config.DropRate, device);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public NFNetConfig Config { get; }

    // Runs before the base constructor, which is the first native call.
    private static string NameAfterNativeCheck()
    {
        TorchRuntime.EnsureAvailable();
        return nameof(NFNetModel);
    }

    /// <summary>Outputs of the classifier.</summary>
    public int NumClasses { get; private set; }

    /// <summary>Width of the pooled features (<see cref="ForwardFeatures"/>).</summary>
    public int NumFeatures { get; }

    /// <summary>The plan of every block, in order.</summary>
    internal IReadOnlyList<NFBlockSpec> Blocks { get; }

    /// <summary>The classifier layer <c>head.fc</c>.</summary>
    public Linear Classifier => head.Fc;

    /// <summary>
    /// The number format of activations and convolutions in eval mode (default float32). With
    /// <see cref="NFNetPrecision.BFloat16"/> the standardized weights are computed in float32 and then cast; attention
    /// gates, pooling and logits stay float32.
    /// </summary>
    public NFNetPrecision InferencePrecision
    {
        get => inferencePrecision;
        set
        {
            inferencePrecision = value;
            if (IsFrozenForScoring)
                FreezeForScoring();
        }
    }

    private NFNetPrecision inferencePrecision;

    /// <summary>Whether eval-mode passes use standardized weights computed once (<see cref="FreezeForScoring"/>).</summary>
    public bool IsFrozenForScoring { get; private set; }

    /// <summary>
    /// Switches to eval mode and computes every convolution's standardized weight Ŵ once, in the
    /// <see cref="InferencePrecision"/> format, so eval-mode forward passes skip weight standardization (the saving is
    /// largest at small batches). It costs one more copy of the conv weights in memory (half of it in bfloat16).
    /// Changing <see cref="InferencePrecision"/> or loading weights (<c>LoadWeights</c>, checkpoints) recomputes them;
    /// switching to train mode releases them (<see cref="Unfreeze"/>). After changing weights in place yourself, call
    /// this again.
    /// </summary>
    public void FreezeForScoring()
    {
        eval();
        var type = ComputeType ?? Classifier.weight!.dtype;
        foreach (var conv in modules().OfType<ScaledStdConv2d>())
            conv.Freeze(type);
        IsFrozenForScoring = true;
    }

    /// <summary>Releases the standardized weights of <see cref="FreezeForScoring"/>; every pass standardizes again.</summary>
    public void Unfreeze()
    {
        foreach (var conv in modules().OfType<ScaledStdConv2d>())
            conv.Unfreeze();
        IsFrozenForScoring = false;
    }

    /// <inheritdoc />
    /// <remarks>Train mode releases frozen standardized weights (<see cref="Unfreeze"/>): the weights are about to change.</remarks>
    public override void train(bool on = true)
    {
        if (on && IsFrozenForScoring)
            Unfreeze();
        base.train(on);
    }

    /// <summary>
    /// The number format of activations and convolutions in train mode (default float32; the training engine sets it
    /// from <c>NFNetTrainingOptions.Precision</c> for the run). Parameters, weight standardization, attention gates and
    /// logits stay float32, so gradients and optimizer state are float32 (master weights).
    /// </summary>
    public NFNetPrecision TrainingPrecision { get; set; }

    // The dtype the network computes in now, or null for the parameters' own.
    private ScalarType? ComputeType => (training ? TrainingPrecision : InferencePrecision) == NFNetPrecision.BFloat16
        ? ScalarType.BFloat16
        : null;

    /// <summary>Logits [B, classes] for images [B, 3, H, W].</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var pooled = ForwardFeatures(images);
        return head.Classify(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>Pooled pre-logits features [B, <see cref="NumFeatures"/>].</summary>
    public Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        return ClassifierHead.Pool(ForwardFeatureMap(images)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits [B, classes] from pooled features [B, <see cref="NumFeatures"/>] (what <see cref="ForwardFeatures"/>
    /// returns): dropout in train mode, then the classifier. <c>forward(x)</c> is <c>ForwardHead(ForwardFeatures(x))</c>;
    /// training a linear probe on features computed once uses this alone.
    /// </summary>
    public Tensor ForwardHead(Tensor features)
    {
        if (features.dim() != 2 || features.shape[1] != NumFeatures)
            throw new ArgumentException(
                $"The head expects pooled features shaped [batch, {NumFeatures}]; got [{string.Join(", ", features.shape)}].", nameof(features));
        return head.Classify(features);
    }

    /// <summary>The final feature map [B, <see cref="NumFeatures"/>, H/32, W/32] (after the final activation, before pooling).</summary>
    public Tensor ForwardFeatureMap(Tensor images) => ForwardTrace(images, trace: null);

    /// <summary>
    /// Runs the network and returns every intermediate output, by name: <c>stem</c>, <c>stages.0</c>…, <c>final_conv</c>
    /// (before the final activation), <c>feature_map</c>, <c>features</c> and <c>logits</c>. For inspection and debugging.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> ForwardIntermediates(Tensor images)
    {
        using var scope = NewDisposeScope();
        var trace = new List<(string Name, Tensor Output)>();
        var featureMap = ForwardTrace(images, trace);
        var outputs = trace.ToDictionary(t => t.Name, t => t.Output);
        outputs["feature_map"] = featureMap;
        outputs["features"] = ClassifierHead.Pool(featureMap);
        outputs["logits"] = head.Classify(outputs["features"]);
        foreach (var t in outputs.Values)
            t.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>Replaces the classifier with a freshly initialized one (transfer learning to a new label set).</summary>
    public void ResetClassifier(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        head.Reset(numClasses);
        NumClasses = numClasses;
    }

    private Tensor ForwardTrace(Tensor images, List<(string Name, Tensor Output)>? trace)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException(
                $"NFNet expects images shaped [batch, 3, height, width]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        var x = stem.call(ComputeType is { } type && images.dtype != type ? images.to(type) : images);
        trace?.Add(("stem", x));
        var index = 0;
        foreach (var stage in stages.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            x = stage.call(x);
            trace?.Add(($"stages.{index++}", x));
        }
        if (finalConv is not null)
        {
            x = finalConv.call(x);
            trace?.Add(("final_conv", x));
        }
        foreach (var (_, output) in trace ?? [])
            output.MoveToOuterDisposeScope();
        return finalAct.call(x).MoveToOuterDisposeScope();
    }
}

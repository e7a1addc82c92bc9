using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The split of an <see cref="NFNetModel"/>'s parameters for fine-tuning: what trains (the classifier, and the trained
/// part of the backbone) and which top-level modules are frozen (the stem, early stages, the final conv), by
/// <see cref="NFNetTrainingOptions.TrainableParts"/>.
/// </summary>
/// <remarks>The classifier is found by identity (<see cref="NFNetModel.Classifier"/>), the stages by their timm names
/// (<c>stem</c>, <c>stages.i</c>, <c>final_conv</c>): build the split after the model has its final classifier and device.</remarks>
internal sealed class TrainableParameters
{
    private readonly NFNetModel model;
    private readonly nn.Module[] frozenModules;
    private readonly HashSet<IntPtr> frozenHandles;

    private TrainableParameters(NFNetModel model, NFNetTrainableParts parts, IReadOnlyList<(string, Parameter)> backbone,
        IReadOnlyList<(string, Parameter)> classifier, IReadOnlyList<(string, Parameter)> frozen, nn.Module[] frozenModules)
    {
        this.model = model;
        this.frozenModules = frozenModules;
        frozenHandles = frozen.Select(np => np.Item2.Handle).ToHashSet();
        Parts = parts;
        Backbone = backbone;
        Classifier = classifier;
        Frozen = frozen;
    }

    /// <summary>What trains.</summary>
    public NFNetTrainableParts Parts { get; }

    /// <summary>Trained parameters other than the classifier's, in registration order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Backbone { get; }

    /// <summary>The classifier's weight and bias.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Classifier { get; }

    /// <summary>Parameters that do not train.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Frozen { get; }

    /// <summary>Every trained parameter, in registration order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> Trainable => model.named_parameters()
        .Where(np => !IsFrozen(np.parameter)).Select(np => (np.name, np.parameter));

    /// <summary>Whether anything is frozen.</summary>
    public bool FreezesAnything => Frozen.Count > 0;

    /// <summary>Whether only the classifier trains, so the backbone's features of an image never change.</summary>
    public bool HeadOnly => Parts == NFNetTrainableParts.Head;

    /// <summary>The split for <paramref name="fineTuning"/> (null or <see cref="NFNetTrainableParts.All"/>: everything trains).</summary>
    /// <exception cref="ArgumentOutOfRangeException">More stages asked for than the architecture has.</exception>
    public static TrainableParameters Of(NFNetModel model, FineTuningSettings? fineTuning)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parts = fineTuning?.TrainableParts ?? NFNetTrainableParts.All;
        var stageCount = model.Config.Depths.Count;
        if (fineTuning is not null)
            CheckStages(fineTuning.TrainableParts, fineTuning.LastStageCount, model.Config);

        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var frozenNames = parts switch
        {
            NFNetTrainableParts.All => [],
            NFNetTrainableParts.Head => new[] { "stem", "final_conv" }.Concat(Enumerable.Range(0, stageCount).Select(s => $"stages.{s}")),
            _ => new[] { "stem" }.Concat(Enumerable.Range(0, stageCount - fineTuning!.LastStageCount).Select(s => $"stages.{s}")),
        };
        var frozenModules = frozenNames.Where(modules.ContainsKey).Select(name => modules[name]).ToArray();
        var frozenHandles = frozenModules.SelectMany(m => m.parameters()).Select(p => p.Handle).ToHashSet();
        var classifierHandles = new HashSet<IntPtr> { model.Classifier.weight!.Handle };
        if (model.Classifier.bias is { } bias)
            classifierHandles.Add(bias.Handle);

        var all = model.named_parameters().Select(np => (np.name, np.parameter)).ToList();
        var classifier = all.Where(np => classifierHandles.Contains(np.parameter.Handle)).ToList();
        if (classifier.Count != classifierHandles.Count)
            throw new InvalidOperationException("The classifier's parameters were not found among the model's parameters.");
        return new TrainableParameters(model, parts,
            all.Where(np => !frozenHandles.Contains(np.parameter.Handle) && !classifierHandles.Contains(np.parameter.Handle)).ToList(),
            classifier,
            all.Where(np => frozenHandles.Contains(np.parameter.Handle)).ToList(),
            frozenModules);
    }

    /// <summary>Checks <see cref="NFNetTrainingOptions.TrainableLastStages"/> against the architecture's stage count.</summary>
    public static void CheckStages(NFNetTrainableParts? parts, int lastStages, NFNetConfig architecture)
    {
        if (parts == NFNetTrainableParts.LastStages && lastStages > architecture.Depths.Count)
            throw new ArgumentOutOfRangeException("TrainableLastStages", lastStages,
                $"NFNetTrainingOptions.TrainableLastStages is {lastStages}, but " +
                $"{architecture.Name} has {architecture.Depths.Count} stages; use at most {architecture.Depths.Count} (or TrainableParts = All).");
    }

    /// <summary>Turns gradients off for the frozen parameters and on for the trained ones.</summary>
    public void Freeze()
    {
        foreach (var (_, parameter) in Frozen)
            parameter.requires_grad = false;
        foreach (var (_, parameter) in Backbone.Concat(Classifier))
            parameter.requires_grad = true;
    }

    /// <summary>Gradients on for every parameter again (the model as it was before fine-tuning).</summary>
    public void Release()
    {
        foreach (var (_, parameter) in Frozen)
            parameter.requires_grad = true;
    }

    /// <summary>Train mode for the trained parts, eval mode for the frozen ones (no dropout, no stochastic depth).</summary>
    public void SetTrainingMode()
    {
        model.train();
        foreach (var module in frozenModules)
            module.eval();
    }

    private bool IsFrozen(Parameter parameter) => frozenHandles.Contains(parameter.Handle);
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A model's parameters split for weight decay as in DeepMind's NFNet recipe: conv and linear weights are decayed;
/// gains, biases and skip gains are not. (timm's own grouping decays the [O,1,1,1] conv gains; this one does not.)
/// </summary>
/// <param name="Decayed">Conv and linear weights: parameters named <c>weight</c> with two or more dimensions.</param>
/// <param name="NotDecayed">Everything else.</param>
internal sealed record WeightDecayGroups(
    IReadOnlyList<(string Name, Parameter Parameter)> Decayed,
    IReadOnlyList<(string Name, Parameter Parameter)> NotDecayed)
{
    /// <summary>Splits every parameter of <paramref name="model"/>, keeping registration order within each group.</summary>
    public static WeightDecayGroups Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Of(model.named_parameters().Select(np => (np.name, np.parameter)));
    }

    /// <summary>Splits <paramref name="parameters"/> (named as in their model), keeping their order within each group.</summary>
    public static WeightDecayGroups Of(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        var all = parameters.ToList();
        return new(all.Where(IsDecayed).ToList(), all.Where(np => !IsDecayed(np)).ToList());
    }

    /// <summary>Whether a parameter gets weight decay: a conv filter or linear matrix (gains are named <c>gain</c>).</summary>
    public static bool IsDecayed((string Name, Parameter Parameter) parameter) =>
        parameter.Parameter.dim() >= 2 && (parameter.Name == "weight" || parameter.Name.EndsWith(".weight", StringComparison.Ordinal));

    /// <summary>Groups for <c>SGD</c> or <see cref="InPlaceSgd"/>: <paramref name="weightDecay"/> on
    /// <see cref="Decayed"/>, none on <see cref="NotDecayed"/>.</summary>
    public SGD.ParamGroup[] ToSgdGroups(double learningRate, double momentum, bool nesterov, double weightDecay) =>
    [
        new(Decayed.Select(np => np.Parameter).ToArray(), learningRate, momentum, 0, weightDecay, nesterov),
        new(NotDecayed.Select(np => np.Parameter).ToArray(), learningRate, momentum, 0, 0, nesterov),
    ];

    /// <summary>Groups for <c>AdamW</c> (whose weight decay is decoupled: p ← p·(1 − lr·wd)).</summary>
    public AdamW.ParamGroup[] ToAdamWGroups(double learningRate, double weightDecay) =>
    [
        new(Decayed.Select(np => np.Parameter).ToArray(), learningRate, weight_decay: weightDecay),
        new(NotDecayed.Select(np => np.Parameter).ToArray(), learningRate, weight_decay: 0),
    ];
}

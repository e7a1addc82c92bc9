using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Optimization;

/// <summary>
/// The timm training fixture train_dm_a: two steps of cross-entropy → backward → AGC (all but head.fc) → SGD with
/// Nesterov momentum, with every intermediate tensor and the per-step AGC unit counts.
/// </summary>
internal sealed class TrainFixture : IDisposable
{
    public const string Name = "train_dm_a";

    private readonly Dictionary<string, Tensor> tensors;

    private TrainFixture(string json, Dictionary<string, Tensor> tensors)
    {
        Json = json;
        this.tensors = tensors;
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        NumClasses = root.GetProperty("model_kwargs").GetProperty("num_classes").GetInt32();
        var agc = root.GetProperty("agc");
        ClipFactor = agc.GetProperty("clip_factor").GetDouble();
        ClipEps = agc.GetProperty("eps").GetDouble();
        var optimizer = root.GetProperty("optimizer");
        LearningRate = optimizer.GetProperty("lr").GetDouble();
        Momentum = optimizer.GetProperty("momentum").GetDouble();
        WeightDecay = optimizer.GetProperty("weight_decay").GetDouble();
        Assert.IsTrue(optimizer.GetProperty("nesterov").GetBoolean());
        DecayNames = optimizer.GetProperty("decay_param_names").EnumerateArray().Select(e => e.GetString()!).ToList();
        NoDecayNames = optimizer.GetProperty("no_decay_param_names").EnumerateArray().Select(e => e.GetString()!).ToList();
        Steps = root.GetProperty("steps").EnumerateArray().Select(ReadStep).ToList();
    }

    public string Json { get; }
    public int NumClasses { get; }
    public double ClipFactor { get; }
    public double ClipEps { get; }
    public double LearningRate { get; }
    public double Momentum { get; }
    public double WeightDecay { get; }
    public IReadOnlyList<string> DecayNames { get; }
    public IReadOnlyList<string> NoDecayNames { get; }

    /// <summary>Per step (index 0 = step 1): reference loss, AGC unit counts in total and per parameter.</summary>
    public IReadOnlyList<StepFacts> Steps { get; }

    public Tensor Input => tensors["input"];
    public Tensor Labels => tensors["labels"];

    public static TrainFixture Load() => new(
        File.ReadAllText(Fixtures.PathOf($"{Name}.json")),
        Safetensors.Load(Fixtures.PathOf($"{Name}.safetensors")));

    public Tensor this[string key] => tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Name} has no tensor '{key}'.");

    /// <summary>The model with the parameters before step <paramref name="step"/> + 1 (step 0 = the initial weights).</summary>
    public NFNetModel CreateModel(int step = 0)
    {
        var model = new NFNetModel(NFNetConfig.FromTimmJson(Json), NumClasses);
        LoadParameters(model, step);
        return model;
    }

    /// <summary>Copies the parameters after step <paramref name="step"/> into <paramref name="model"/>.</summary>
    public void LoadParameters(NFNetModel model, int step)
    {
        var prefix = $"step{step}/param/";
        var state = tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        var (missing, unexpected) = model.load_state_dict(state);
        Assert.AreEqual(0, missing.Count + unexpected.Count, $"step{step} parameters do not match the model");
    }

    /// <summary>Sets each parameter's gradient to a copy of <c>step{s}/grad_raw/&lt;name&gt;</c>.</summary>
    public void SetRawGradients(NFNetModel model, int step)
    {
        foreach (var (name, parameter) in model.named_parameters())
            parameter.grad = this[$"step{step}/grad_raw/{name}"].clone();
    }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }

    private static StepFacts ReadStep(JsonElement step) => new(
        step.GetProperty("step").GetInt32(),
        step.GetProperty("loss").GetDouble(),
        step.GetProperty("agc_units_total").GetInt64(),
        step.GetProperty("agc_units_clipped").GetInt64(),
        step.GetProperty("agc_clipped_units_per_param").EnumerateObject()
            .ToDictionary(p => p.Name, p => (Clipped: p.Value[0].GetInt64(), Total: p.Value[1].GetInt64())));

    public sealed record StepFacts(int Step, double Loss, long UnitsTotal, long UnitsClipped,
        IReadOnlyDictionary<string, (long Clipped, long Total)> ClippedUnitsPerParameter);
}

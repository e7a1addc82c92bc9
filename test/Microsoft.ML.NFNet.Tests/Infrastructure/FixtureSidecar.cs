using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests;

/// <summary>The JSON sidecar of a timm reference fixture (architecture, classes, io files).</summary>
internal sealed class FixtureSidecar
{
    private FixtureSidecar(string name, string json)
    {
        Name = name;
        Json = json;
        using var doc = JsonDocument.Parse(json);
        NumClasses = doc.RootElement.GetProperty("model_kwargs").GetProperty("num_classes").GetInt32();
        InputFiles = doc.RootElement.TryGetProperty("inputs", out var inputs)
            ? inputs.EnumerateArray().Select(i => i.GetProperty("file").GetString()!).ToArray()
            : [];
    }

    public string Name { get; }
    public string Json { get; }
    public int NumClasses { get; }
    public IReadOnlyList<string> InputFiles { get; }
    public string WeightsPath => Fixtures.PathOf($"{Name}.weights.safetensors");

    public static FixtureSidecar Read(string name) => new(name, File.ReadAllText(Fixtures.PathOf($"{name}.json")));

    public NFNetModel CreateModel()
    {
        var model = new NFNetModel(NFNetConfig.FromTimmJson(Json), NumClasses);
        model.LoadWeights(WeightsPath);
        return model;
    }
}

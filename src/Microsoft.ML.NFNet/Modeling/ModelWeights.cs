using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>Strict safetensors I/O of a module's parameters under their state_dict names.</summary>
internal static class ModelWeights
{
    public static void Load(NFNetModel model, string path)
    {
        var expected = model.state_dict();
        var loaded = Safetensors.Load(path);
        try
        {
            var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
            var unexpected = loaded.Keys.Where(k => !expected.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException(
                    $"'{path}' does not match the {model.Config.Name} architecture with {model.NumClasses} classes: " +
                    Describe("missing", missing) + Describe("unexpected", unexpected) +
                    "Check the variant and number of classes the weights were saved with.");
            foreach (var (name, target) in expected)
            {
                var source = loaded[name];
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException(
                        $"'{path}': tensor '{name}' has shape [{string.Join(", ", source.shape)}] but the model expects " +
                        $"[{string.Join(", ", target.shape)}].");
                if (!source.is_floating_point())
                    throw new InvalidDataException($"'{path}': tensor '{name}' has non-floating-point type {source.dtype}.");
            }
            using (no_grad())
            {
                foreach (var (name, target) in expected)
                    target.copy_(loaded[name]);
            }
            model.InvalidateWeightCache();
        }
        finally
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
        }
    }

    public static void Save(NFNetModel model, string path) => Safetensors.Save(path, model.state_dict());

    private static string Describe(string what, List<string> names) => names.Count == 0
        ? ""
        : $"{names.Count} {what} tensor(s) ({string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : "")}). ";
}

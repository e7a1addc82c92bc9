
namespace Microsoft.ML.NFNet;

/// <summary>Loading and saving an <see cref="NFNetModel"/>'s parameters as safetensors files with timm's names, the
/// format timm and the Hugging Face hub publish NFNet weights in.</summary>
public static class NFNetModelWeights
{
    /// <summary>Loads parameters saved in safetensors format with timm's names. Every parameter must be present with its
    /// exact shape, no other tensor may be in the file, and every value must be finite; dtype conversion (e.g. F16 →
    /// F32) is done for you. Nothing in the model changes unless the whole file checks out.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, corrupt (checksum), holds NaN/∞, or a tensor is
    /// missing, unexpected or of the wrong shape (the message names it).</exception>
    public static void LoadWeights(this NFNetModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var source = SafetensorsSource.OpenFile(path);
        ModelWeights.Load(model, source);
    }

    /// <summary>Saves the parameters in safetensors format with timm's names (readable by timm and
    /// <c>safetensors.safe_open</c> in Python), with a SHA-256 of the data in the metadata that loading verifies.
    /// The file is written under a temporary name and renamed, so a failure never leaves a partial file.</summary>
    /// <exception cref="InvalidOperationException">A parameter holds NaN or ∞ (named); nothing is written.</exception>
    public static void SaveWeights(this NFNetModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelWeights.Save(model, path);
    }
}

namespace Microsoft.ML.NFNet;

/// <summary>
/// An <see cref="NFNetModel"/>'s files: its weights as safetensors with timm's names (the format timm and the Hugging
/// Face hub publish NFNet weights in), a timm folder PyTorch loads, and ONNX.
/// </summary>
public static class NFNetModelExtensions
{
    /// <summary>The weights file of a timm folder (<see cref="ExportTimm"/>).</summary>
    public const string TimmWeightsFileName = TimmExport.WeightsFileName;

    /// <summary>The configuration file of a timm folder (timm's hub <c>config.json</c>).</summary>
    public const string TimmConfigFileName = TimmExport.ConfigFileName;

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

    /// <summary>
    /// Hands the network to PyTorch: writes <c>model.safetensors</c> (timm's tensor names) and timm's hub
    /// <c>config.json</c> (<c>architecture</c>, <c>num_classes</c>, <c>label_names</c>, <c>pretrained_cfg</c> with the
    /// preprocessing, timm's <c>NfCfg</c> fields as <c>nf_cfg</c>, plus <c>model_args</c> when timm has no name for the
    /// architecture) into <paramref name="directory"/>, which <c>timm.create_model("local-dir:&lt;folder&gt;")</c> loads
    /// and <c>PretrainedWeights</c> reads back.
    /// </summary>
    /// <param name="model">The network.</param>
    /// <param name="directory">The folder; created if needed. Files of an earlier export there are replaced; other files
    /// are left alone.</param>
    /// <param name="preprocessing">How the model scores (resolution, crop, filter, mean, std); null: ImageNet's values at
    /// the architecture's recommended sizes.</param>
    /// <param name="labels">The class names in output order, or null.</param>
    /// <remarks>Both files are written into a temporary folder first and then renamed into place, so a failure (NaN
    /// weights, a full disk) leaves nothing half-written.</remarks>
    /// <exception cref="InvalidOperationException">A parameter holds NaN or ∞ (named); nothing is written.</exception>
    /// <exception cref="NotSupportedException">The architecture cannot be described to timm (tanh-GELU).</exception>
    public static void ExportTimm(this NFNetModel model, string directory, ImagePreprocessingOptions? preprocessing = null,
        IReadOnlyList<string>? labels = null) => TimmExport.Write(model, directory, preprocessing, labels);

    /// <summary>Writes the network to <paramref name="path"/> as ONNX (opset 17–21; batch always dynamic), with the
    /// labels and preprocessing in the model's metadata. The file is written under a temporary name and renamed.</summary>
    /// <param name="model">The network.</param>
    /// <param name="path">The file to write (its folder must exist).</param>
    /// <param name="options">Input size, opset, labels, preprocessing, outputs; null for the defaults.</param>
    public static void ExportOnnx(this NFNetModel model, string path, NFNetOnnxExportOptions? options = null) =>
        NFNetOnnxExporter.Export(model, path, options);
}

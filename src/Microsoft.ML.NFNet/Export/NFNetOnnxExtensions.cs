namespace Microsoft.ML.NFNet;

/// <summary>ONNX export as an extension method of <see cref="NFNetModel"/>.</summary>
public static class NFNetOnnxExtensions
{
    /// <summary>Writes the model to <paramref name="path"/> as ONNX; see <see cref="NFNetOnnxExporter.Export"/>.</summary>
    /// <param name="model">The network.</param>
    /// <param name="path">The file to write (its folder must exist).</param>
    /// <param name="options">Input size, opset, labels, preprocessing, outputs; null for the defaults.</param>
    public static void ExportOnnx(this NFNetModel model, string path, NFNetOnnxExportOptions? options = null) =>
        NFNetOnnxExporter.Export(model, path, options);
}

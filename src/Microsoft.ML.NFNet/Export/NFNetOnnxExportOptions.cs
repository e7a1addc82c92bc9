namespace Microsoft.ML.NFNet;

/// <summary>Settings of <see cref="NFNetOnnxExporter.Export"/>. Every property has a usable default.</summary>
public sealed record NFNetOnnxExportOptions
{
    /// <summary>The lowest ONNX opset the exporter writes (and the default).</summary>
    public const int MinimumOpset = 17;

    /// <summary>The highest ONNX opset the exporter writes; every operator it uses has the same meaning from 17 to here.</summary>
    public const int MaximumOpset = 21;

    /// <summary>
    /// Height of the network input in pixels. Default: the scoring size (<see cref="ImagePreprocessingOptions.EvalImageSize"/>,
    /// else <see cref="ImagePreprocessingOptions.ImageSize"/>) of <see cref="Preprocessing"/> when given, else the architecture's <see cref="NFNetConfig.TestImageSize"/>.
    /// At least <see cref="NFNetConfig.MinimumImageSize"/>.
    /// </summary>
    public int? InputHeight { get; set; }

    /// <summary>Width of the network input in pixels; defaults as <see cref="InputHeight"/> does.</summary>
    public int? InputWidth { get; set; }

    /// <summary>
    /// False (default): the input is <c>[batch, 3, InputHeight, InputWidth]</c> with a fixed image size. True: height and
    /// width are symbolic dimensions too, so one file scores any image size (the graph pads strided convs from the actual
    /// size, as the network does). The batch dimension is always dynamic.
    /// </summary>
    public bool DynamicImageSize { get; set; }

    /// <summary>The ONNX opset to declare, from <see cref="MinimumOpset"/> (default) to <see cref="MaximumOpset"/>.</summary>
    public int Opset { get; set; } = MinimumOpset;

    /// <summary>
    /// The class names in output order, stored as JSON in the model's metadata (<see cref="NFNetOnnxMetadata.LabelsKey"/>).
    /// Null (default) stores none; otherwise one non-null name per class.
    /// </summary>
    public IReadOnlyList<string>? LabelNames { get; set; }

    /// <summary>
    /// The preprocessing the model expects, stored as JSON in the model's metadata
    /// (<see cref="NFNetOnnxMetadata.PreprocessingKey"/>) so a consumer can reproduce the input. Pass the options the model
    /// was trained and scored with; null (default) records this library's defaults at the input size.
    /// </summary>
    public ImagePreprocessingOptions? Preprocessing { get; set; }

    /// <summary>Whether the graph has the second output <c>features</c> [batch, F], the pooled features before the
    /// classifier (default true).</summary>
    public bool IncludeFeatures { get; set; } = true;
}

using System.Reflection;
using Microsoft.ML.NFNet.Export.Onnx;
using Google.Protobuf;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Exports an <see cref="NFNetModel"/> to an ONNX file: its eval-mode forward pass with the standardized weights
/// folded into plain convolutions, a dynamic batch axis, float32 NCHW input <see cref="InputName"/>, softmax
/// probabilities <see cref="ProbabilitiesName"/> [batch, classes] and the pooled features <see cref="FeaturesName"/>
/// [batch, F], plus metadata (<see cref="NFNetOnnxMetadata"/>) that tells a consumer the labels and the preprocessing.
/// </summary>
internal static class NFNetOnnxExporter
{
    /// <summary>Name of the graph input: float32 [batch, 3, height, width], normalised RGB.</summary>
    public const string InputName = "input";

    /// <summary>Name of the softmax output [batch, classes].</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Name of the pooled-features output [batch, features].</summary>
    public const string FeaturesName = "features";

    /// <summary>The producer name written into every exported model.</summary>
    public const string ProducerName = "Microsoft.ML.NFNet";

    // A protobuf message cannot exceed 2 GiB; leave room for everything that is not a weight.
    private const long MaxInitializerBytes = int.MaxValue - (16L << 20);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> as ONNX (atomically: a failed export leaves
    /// no file, and an existing file is replaced only by a complete one).</summary>
    /// <param name="model">The network; its mode is not changed, and its weights are read as they are now.</param>
    /// <param name="path">The file to write (its folder must exist).</param>
    /// <param name="options">Input size, opset, labels, preprocessing, outputs; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it) or the model has no weights.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="NotSupportedException">The weights exceed protobuf's 2 GiB limit.</exception>
    public static void Export(NFNetModel model, string path, NFNetOnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new NFNetOnnxExportOptions();
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot export the ONNX model to '{path}': the folder '{directory}' does not exist.");

        var onnx = Build(model, options);
        OnnxModelFile.Write(onnx, fullPath);
    }

    /// <summary>The ONNX model as bytes in memory (what <see cref="Export"/> would write), e.g. for an ONNX Runtime
    /// session that scores without a file.</summary>
    internal static byte[] ExportToBytes(NFNetModel model, NFNetOnnxExportOptions options) => Build(model, options).ToByteArray();

    internal static ModelProto Build(NFNetModel model, NFNetOnnxExportOptions options)
    {
        var preprocessing = options.Preprocessing;
        var scoringSize = preprocessing?.EvalImageSize ?? preprocessing?.ImageSize;
        var height = options.InputHeight ?? scoringSize ?? model.Config.TestImageSize;
        var width = options.InputWidth ?? scoringSize ?? model.Config.TestImageSize;
        Validate(model, options, height, width);
        preprocessing ??= new ImagePreprocessingOptions { ImageSize = height == width ? height : Math.Min(height, width) };
        // The folded weights are as many floats as the parameters, less the gains: fail before copying any of them.
        RequireFits(model, model.parameters().Sum(p => p.numel()) * sizeof(float));

        var graph = options.DynamicImageSize
            ? NFNetGraphWriter.Write(model, "height", "width", options.IncludeFeatures, out var bytes)
            : NFNetGraphWriter.Write(model, height, width, options.IncludeFeatures, out bytes);
        RequireFits(model, bytes);

        var onnx = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            ModelVersion = 1,
            DocString = $"NFNet {model.Config.Name} image classifier, {model.NumClasses} classes. Input '{InputName}': float32 " +
                "[batch, 3, height, width], RGB normalised as the 'nfnet.preprocessing' metadata says. Outputs: softmax " +
                $"'{ProbabilitiesName}'" + (options.IncludeFeatures ? $", pooled '{FeaturesName}'." : "."),
            Graph = graph,
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        AddMetadata(onnx, NFNetOnnxMetadata.ArchitectureKey, model.Config.Name);
        AddMetadata(onnx, NFNetOnnxMetadata.ConfigKey, model.Config.ToJson());
        AddMetadata(onnx, NFNetOnnxMetadata.PreprocessingKey, NFNetOnnxMetadata.Serialize(NFNetOnnxPreprocessing.From(preprocessing,
            options.DynamicImageSize ? null : height, options.DynamicImageSize ? null : width)));
        if (options.LabelNames is { } labels)
            AddMetadata(onnx, NFNetOnnxMetadata.LabelsKey, NFNetOnnxMetadata.Serialize(labels));
        return onnx;
    }

    private static void RequireFits(NFNetModel model, long weightBytes)
    {
        if (weightBytes > MaxInitializerBytes)
            throw new NotSupportedException(
                $"The {model.Config.Name} weights take {weightBytes / (1 << 20)} MiB, more than fits in one ONNX file (protobuf's " +
                "2 GiB limit); this exporter does not write ONNX external data. Export a smaller variant (F0–F7 and F0+–F4+ fit).");
    }

    private static void Validate(NFNetModel model, NFNetOnnxExportOptions options, int height, int width)
    {
        static void Require(bool condition, string option, string message)
        {
            if (!condition) throw new ArgumentException($"Invalid {nameof(NFNetOnnxExportOptions)}.{option}: {message}", option);
        }
        Require(options.Opset is >= NFNetOnnxExportOptions.MinimumOpset and <= NFNetOnnxExportOptions.MaximumOpset, nameof(options.Opset),
            $"{options.Opset} is not supported; use {NFNetOnnxExportOptions.MinimumOpset} to {NFNetOnnxExportOptions.MaximumOpset}.");
        var minimum = model.Config.MinimumImageSize;
        Require(height >= minimum, nameof(options.InputHeight), $"{height} px is smaller than the {model.Config.Name} network's total stride ({minimum} px).");
        Require(width >= minimum, nameof(options.InputWidth), $"{width} px is smaller than the {model.Config.Name} network's total stride ({minimum} px).");
        if (options.LabelNames is { } labels)
        {
            Require(labels.Count == model.NumClasses, nameof(options.LabelNames),
                $"{labels.Count} names were given but the model has {model.NumClasses} classes.");
            var firstNull = labels.Select((label, i) => label is null ? i : -1).FirstOrDefault(i => i >= 0, -1);
            Require(firstNull < 0, nameof(options.LabelNames), $"the name of class {firstNull} is null.");
        }
        try
        {
            options.Preprocessing?.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"Invalid {nameof(NFNetOnnxExportOptions)}.{nameof(options.Preprocessing)}: {e.Message}", nameof(options.Preprocessing), e);
        }
    }

    // The IR version of the ONNX release that introduced each opset (onnx/helper.py's VERSION_TABLE).
    private static long IrVersionFor(int opset) => opset switch
    {
        17 or 18 => 8,
        19 or 20 => 9,
        _ => 10,
    };

    private static void AddMetadata(ModelProto onnx, string key, string value) =>
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    private static string ProducerVersion { get; } =
        typeof(NFNetOnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(NFNetOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
}

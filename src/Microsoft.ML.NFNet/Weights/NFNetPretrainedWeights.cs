namespace Microsoft.ML.NFNet;

/// <summary>
/// One published weights file and the configuration it was trained and evaluated with (timm's <c>pretrained_cfg</c>).
/// Get the published ones from <see cref="NFNetPretrained.All"/> or <see cref="NFNetPretrained.Find"/>.
/// </summary>
public sealed record NFNetPretrainedWeights
{
    /// <summary>timm's full name, <c>architecture.tag</c> (e.g. <c>eca_nfnet_l0.ra2_in1k</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The architecture part of <see cref="Name"/> (before the dot), as accepted by <see cref="NFNetConfig.Variant"/>.</summary>
    public string ArchitectureName => Name.Split('.')[0];

    /// <summary>The network these weights fit (<see cref="NFNetConfig.Variant"/> of <see cref="ArchitectureName"/>).</summary>
    public required NFNetConfig Architecture { get; init; }

    /// <summary>The Hugging Face hub repository that holds the file (<c>timm/&lt;name&gt;</c>).</summary>
    public required string HubRepository { get; init; }

    /// <summary>The file in <see cref="HubRepository"/> (<c>model.safetensors</c>, timm's tensor names).</summary>
    public string FileName { get; init; } = "model.safetensors";

    /// <summary>The resolution the weights were trained at (timm <c>input_size</c>).</summary>
    public required int TrainImageSize { get; init; }

    /// <summary>The resolution the weights score best at (timm <c>test_input_size</c>).</summary>
    public required int TestImageSize { get; init; }

    /// <summary>Evaluation crop fraction at the train size (timm <c>crop_pct</c>).</summary>
    public required double CropFraction { get; init; }

    /// <summary>Evaluation crop fraction at the test size (timm <c>test_crop_pct</c>); null means <see cref="CropFraction"/>.</summary>
    public double? TestCropFraction { get; init; }

    /// <summary>How evaluation resizes before the crop: timm <c>crop_mode='squash'</c> is <see cref="EvalResizeMode.Squash"/>,
    /// <c>'center'</c> (the default) is <see cref="EvalResizeMode.ShorterSide"/>.</summary>
    public required EvalResizeMode CropMode { get; init; }

    /// <summary>The resampling filter (timm <c>interpolation</c>).</summary>
    public ImageInterpolation Interpolation { get; init; } = ImageInterpolation.Bicubic;

    /// <summary>Per-channel mean, red, green, blue, on a 0..1 scale (timm <c>mean</c>).</summary>
    public required IReadOnlyList<double> Mean { get; init; }

    /// <summary>Per-channel standard deviation, red, green, blue, on a 0..1 scale (timm <c>std</c>).</summary>
    public required IReadOnlyList<double> Std { get; init; }

    /// <summary>Number of classes of the pretrained head (timm <c>num_classes</c>; 1000 for ImageNet-1k).</summary>
    public int ClassCount { get; init; } = 1000;

    /// <summary>ImageNet-1k validation top-1 accuracy in percent at <see cref="TestImageSize"/>, as timm reports it
    /// (<c>results/results-imagenet.csv</c>).</summary>
    public required double ImageNetTop1 { get; init; }

    /// <summary>ImageNet-1k validation top-1 accuracy in percent at <see cref="TrainImageSize"/>, where timm reports one.</summary>
    public double? ImageNetTop1AtTrainSize { get; init; }

    /// <summary>
    /// The preprocessing to score (and fine-tune) with these weights: mean, std, interpolation, crop mode, the test crop
    /// fraction (<see cref="TestCropFraction"/>, else <see cref="CropFraction"/>), <see cref="TrainImageSize"/> for
    /// training and <see cref="TestImageSize"/> for scoring. The training augmentations keep their defaults.
    /// </summary>
    public ImagePreprocessingOptions Preprocessing => new()
    {
        ImageSize = TrainImageSize,
        EvalImageSize = TestImageSize,
        EvalCropFraction = TestCropFraction ?? CropFraction,
        EvalResizeMode = CropMode,
        Interpolation = Interpolation,
        Mean = Mean,
        Std = Std,
    };
}

// Source of every value below: huggingface/pytorch-image-models at commit aa4b5850c1543fa488abf260f18390eda46cf85d,
// timm/models/nfnet.py (_dcfg and default_cfgs: input_size, test_input_size, crop_pct, test_crop_pct, crop_mode;
// interpolation bicubic and IMAGENET_DEFAULT_MEAN/STD from _dcfg, timm/data/constants.py) and
// results/results-imagenet.csv (top-1 at the test size and at the train size).
namespace Microsoft.ML.NFNet;

/// <summary>The published NFNet weights on the Hugging Face hub, one row per file, as timm's <c>default_cfgs</c> lists them.</summary>
internal static class NFNetPretrainedCatalog
{
    private static readonly double[] ImageNetMean = [0.485, 0.456, 0.406];
    private static readonly double[] ImageNetStd = [0.229, 0.224, 0.225];

    public static IReadOnlyList<NFNetPretrainedWeights> Entries { get; } =
    [
        //  name                       train test crop_pct test_crop_pct crop_mode            top-1 test  top-1 train
        Row("dm_nfnet_f0.dm_in1k",     192, 256, 0.9,   null, EvalResizeMode.Squash,      83.468, 81.436),
        Row("dm_nfnet_f1.dm_in1k",     224, 320, 0.91,  null, EvalResizeMode.Squash,      84.700, 83.444),
        Row("dm_nfnet_f2.dm_in1k",     256, 352, 0.92,  null, EvalResizeMode.Squash,      85.184, 84.100),
        Row("dm_nfnet_f3.dm_in1k",     320, 416, 0.94,  null, EvalResizeMode.Squash,      85.676, 85.092),
        Row("dm_nfnet_f4.dm_in1k",     384, 512, 0.951, null, EvalResizeMode.Squash,      85.838, 85.514),
        Row("dm_nfnet_f5.dm_in1k",     416, 544, 0.954, null, EvalResizeMode.Squash,      86.102, 85.712),
        Row("dm_nfnet_f6.dm_in1k",     448, 576, 0.956, null, EvalResizeMode.Squash,      86.364, 86.156),
        Row("nfnet_l0.ra2_in1k",       224, 288, 0.9,   1.0,  EvalResizeMode.ShorterSide, 82.766, 81.870),
        Row("eca_nfnet_l0.ra2_in1k",   224, 288, 0.9,   1.0,  EvalResizeMode.ShorterSide, 82.590, 81.762),
        Row("eca_nfnet_l1.ra2_in1k",   256, 320, 0.9,   1.0,  EvalResizeMode.ShorterSide, 84.062, 83.264),
        Row("eca_nfnet_l2.ra3_in1k",   320, 384, 0.9,   1.0,  EvalResizeMode.ShorterSide, 84.710, 84.170),
    ];

    private static NFNetPretrainedWeights Row(string name, int train, int test, double cropPct, double? testCropPct,
        EvalResizeMode cropMode, double top1Test, double top1Train) => new()
    {
        Name = name,
        Architecture = NFNetConfig.Variant(name.Split('.')[0]),
        HubRepository = "timm/" + name,
        TrainImageSize = train,
        TestImageSize = test,
        CropFraction = cropPct,
        TestCropFraction = testCropPct,
        CropMode = cropMode,
        Mean = ImageNetMean,
        Std = ImageNetStd,
        ImageNetTop1 = top1Test,
        ImageNetTop1AtTrainSize = top1Train,
    };
}

using System.Globalization;
using Microsoft.ML.NFNet.Modeling;

namespace Microsoft.ML.NFNet.Training;

/// <summary>
/// The automatic settings for a network trained from random weights, chosen from the data (README, "Training options"
/// and the small-data table, for the measurements behind each rule). Every rule reads only the data's profile and the
/// architecture, never the machine's speed, so a slower machine trains the same model, only later.
/// </summary>
internal static class FromScratchDefaults
{
    /// <summary>Small images are upsampled up to this factor: the stem divides the resolution by 4 before the first
    /// block, and a 28 px image trained at 32 px leaves the first stage an 8×8 map.</summary>
    public const int MaxUpsampling = 2;

    /// <summary>Upsampling stops once the input reaches this side (the first stage then works on 16×16 maps).</summary>
    public const int UpsampleTo = 64;

    /// <summary>The largest automatic resolution: from scratch on a CPU, beyond it epochs buy more than pixels.</summary>
    public const int MaxImageSize = 128;

    /// <summary>The crop's smallest area share for images of 224 px and more (timm's and torchvision's ImageNet default).</summary>
    public const double PhotoCropScaleMin = 0.08;

    /// <summary>The crop's smallest area share for images of 32 px and less: a random crop of 8 % of a 28×28 garment is
    /// a few pixels; 60 % (77 % of each side) still shows the object, shifted and rescaled.</summary>
    public const double SmallImageCropScaleMin = 0.6;

    /// <summary>Images seen in all (epochs × images) for a dataset of <see cref="ReferenceImages"/> images.</summary>
    public const int ReferenceEpochs = 40;

    /// <summary>The dataset size <see cref="ReferenceEpochs"/> is set for.</summary>
    public const int ReferenceImages = 1000;

    /// <summary>How epochs shrink with the dataset size: epochs ∝ images^−<see cref="EpochExponent"/>, so a 10× larger
    /// set trains 10^0.4 ≈ 2.5× fewer epochs but 4× more steps.</summary>
    public const double EpochExponent = 0.4;

    /// <summary>Fewest and most automatic epochs.</summary>
    public const int MinEpochs = 10, MaxEpochs = 120;

    /// <summary>The peak SGD learning rate (batch 32 and up; lower for smaller batches, by the linear scaling rule).</summary>
    public const double PeakLearningRate = 0.1;

    /// <summary>The batch size <see cref="PeakLearningRate"/> is tuned for.</summary>
    public const int ReferenceBatchSize = 32;

    /// <summary>The linear warm-up lasts this share of the epochs (within half an epoch and five).</summary>
    public const double WarmupShare = 0.05;

    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        AutomaticChoices choices)
    {
        var preprocessing = options.Preprocessing;
        var optimizer = options.Optimizer;
        var side = Math.Max(1, Math.Min(profile.MedianWidth, profile.MedianHeight));
        var (imageSize, sizeWhy) = ImageSize(side, architecture);
        var (epochs, epochsWhy) = Epochs(profile.ImageCount);
        var chosenEpochs = options.Epochs ?? epochs;
        var batchSize = Math.Min(options.BatchSize, Math.Max(1, profile.ImageCount));
        var (cropScale, cropWhy) = CropScaleMin(side);
        var (learningRate, rateWhy) = LearningRate(batchSize, optimizer.ScaleLearningRateWithBatchSize);
        var (warmup, warmupWhy) = WarmupEpochs(chosenEpochs);
        return options with
        {
            Epochs = choices.Choose(options.Epochs, "Epochs", epochs, epochsWhy),
            Preprocessing = preprocessing with
            {
                ImageSize = choices.Choose(preprocessing.ImageSize, "ImageSize", imageSize, sizeWhy),
                CropScaleMin = choices.Choose(preprocessing.CropScaleMin, "CropScaleMin", cropScale, cropWhy),
                HorizontalFlipProbability = choices.Choose(preprocessing.HorizontalFlipProbability,
                    "HorizontalFlipProbability", 0.0, "off: mirroring changes digits, text and many scans; set 0.5 for photos"),
                MixUpAlpha = choices.Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0,
                    "off: with this few epochs mixing slows learning more than it regularizes"),
                CutMixAlpha = choices.Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0,
                    "off: with this few epochs mixing slows learning more than it regularizes"),
            },
            Optimizer = optimizer with
            {
                LearningRate = choices.Choose(optimizer.LearningRate, "LearningRate", learningRate, rateWhy),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", warmup, warmupWhy)
                    : optimizer.WarmupEpochs,
            },
        };
    }

    /// <summary>The median image's shorter side, upsampled up to <see cref="MaxUpsampling"/>× while it is under
    /// <see cref="UpsampleTo"/>, rounded to a multiple of the network's stride, within [stride, <see cref="MaxImageSize"/>].</summary>
    internal static (int Size, string Why) ImageSize(int side, NFNetConfig architecture)
    {
        var stride = architecture.MinimumImageSize;
        var target = Math.Max(side, Math.Min(MaxUpsampling * side, UpsampleTo));
        var rounded = (int)Math.Round((double)target / stride, MidpointRounding.AwayFromZero) * stride;
        var size = Math.Clamp(rounded, stride, Math.Max(stride, MaxImageSize));
        var why = target > side
            ? $"the median image is {side} px: upsampled to ~{target} px so the stride-{stride} network keeps detail, " +
              $"rounded to a multiple of {stride}"
            : $"the median image's shorter side is {side} px, rounded to a multiple of the network's stride {stride}";
        if (size < rounded)
            why += $", at most {MaxImageSize} px when training from scratch";
        else if (size > rounded)
            why += $", at least the stride {stride}";
        return (size, why);
    }

    /// <summary>From <see cref="SmallImageCropScaleMin"/> at 32 px and below to <see cref="PhotoCropScaleMin"/> at 224 px
    /// and above, linear in log(size) between.</summary>
    internal static (double Scale, string Why) CropScaleMin(int side)
    {
        const double small = 32, photo = 224;
        var t = Math.Clamp(Math.Log(side / small) / Math.Log(photo / small), 0, 1);
        var scale = Math.Round(SmallImageCropScaleMin + t * (PhotoCropScaleMin - SmallImageCropScaleMin), 2);
        return (scale, string.Create(CultureInfo.InvariantCulture,
            $"random-resized crops of {scale:P0}–100 % of the area for {side} px images (smaller images keep more)"));
    }

    /// <summary><see cref="ReferenceEpochs"/> · (<see cref="ReferenceImages"/> / images)^<see cref="EpochExponent"/>,
    /// within [<see cref="MinEpochs"/>, <see cref="MaxEpochs"/>].</summary>
    internal static (int Epochs, string Why) Epochs(int images)
    {
        var raw = ReferenceEpochs * Math.Pow((double)ReferenceImages / Math.Max(1, images), EpochExponent);
        var epochs = (int)Math.Clamp(Math.Round(raw), MinEpochs, MaxEpochs);
        return (epochs, $"{images:N0} training images: smaller sets need more passes (about {epochs * (long)images:N0} " +
            "images seen)");
    }

    internal static (double Rate, string Why) LearningRate(int batchSize, bool scaledWithBatchSize)
    {
        if (scaledWithBatchSize)
        {
            // The option means "the rate for a batch of 256": the same peak at batch 32 as without scaling.
            var perBatch256 = PeakLearningRate * Optimization.WarmupCosineSchedule.ReferenceBatchSize / ReferenceBatchSize;
            return (perBatch256, "0.8 per batch of 256, i.e. 0.1 at batch 32 (ScaleLearningRateWithBatchSize is on)");
        }
        if (batchSize >= ReferenceBatchSize)
            return (PeakLearningRate, "peak SGD rate that trains small data sets quickly under AGC");
        var rate = PeakLearningRate * batchSize / ReferenceBatchSize;
        return (rate, string.Create(CultureInfo.InvariantCulture,
            $"0.1 scaled to batch {batchSize} (linear scaling rule, as at batch 32 and up)"));
    }

    internal static (double Epochs, string Why) WarmupEpochs(int epochs)
    {
        var warmup = Math.Clamp(WarmupShare * epochs, 0.5, 5);
        return (warmup, string.Create(CultureInfo.InvariantCulture,
            $"linear warm-up over {WarmupShare:P0} of the {epochs} epochs (at least half an epoch, at most 5)"));
    }
}

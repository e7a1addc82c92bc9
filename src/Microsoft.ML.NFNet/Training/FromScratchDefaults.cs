using System.Globalization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The automatic settings for a network trained from random weights, chosen from the data (README, "Training options"
/// and the small-data table, for the measurements behind each rule). Every rule reads only the data's profile and the
/// architecture, never the machine's speed, so a slower machine trains the same model, only later.
/// </summary>
internal static class FromScratchDefaults
{
    /// <summary>The largest automatic resolution: training from scratch costs 4× per doubling of the side, and on a CPU
    /// the time is better spent on epochs (a 1,500-image set of 112 px drawings trains in minutes at 64 px, in half an
    /// hour at 128).</summary>
    public const int MaxImageSize = 64;

    /// <summary>The crop's smallest area share for images of 224 px and more (timm's and torchvision's ImageNet default).</summary>
    public const double PhotoCropScaleMin = 0.08;

    /// <summary>The crop's smallest area share for images of 32 px and less: a random crop of 8 % of a 28×28 garment is
    /// a few pixels; 60 % (77 % of each side) still shows the object, shifted and rescaled.</summary>
    public const double SmallImageCropScaleMin = 0.6;

    /// <summary>Epochs for a dataset of <see cref="ReferenceImages"/> images.</summary>
    public const int ReferenceEpochs = 80;

    /// <summary>The dataset size <see cref="ReferenceEpochs"/> is set for.</summary>
    public const int ReferenceImages = 1000;

    /// <summary>How epochs shrink with the dataset size: epochs ∝ images^−<see cref="EpochExponent"/>, so a 4× larger set
    /// trains half the epochs and twice the steps.</summary>
    public const double EpochExponent = 0.5;

    /// <summary>Fewest and most automatic epochs.</summary>
    public const int MinEpochs = 10, MaxEpochs = 150;

    /// <summary>With a <see cref="NFNetTrainingOptions.MaxTrainingTime"/> and automatic epochs, training may run up to this
    /// many times the rule's epochs (at most <see cref="MaxEpochs"/>) when the budget has room for them.</summary>
    public const int BudgetEpochFactor = 3;

    /// <summary>The peak SGD learning rate (batch 32 and up; lower for smaller batches, by the linear scaling rule).</summary>
    public const double PeakLearningRate = 0.1;

    /// <summary>The batch size <see cref="PeakLearningRate"/> is tuned for.</summary>
    public const int ReferenceBatchSize = 32;

    /// <summary>AGC's λ at batch 32 and below (measured on small data: +1.3 points of accuracy over 0.01).</summary>
    public const double SmallBatchClippingFactor = 0.04;

    /// <summary>From this batch size up, DeepMind's λ = 0.01 (their value for batches of 1,024–4,096).</summary>
    public const int LargeBatchSize = 1024;

    /// <summary>The linear warm-up lasts this share of the epochs (within half an epoch and five).</summary>
    public const double WarmupShare = 0.05;

    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        AutomaticChoices choices, int validationImages = 0)
    {
        var preprocessing = options.Preprocessing;
        var optimizer = options.Optimizer;
        var side = Math.Max(1, Math.Min(profile.MedianWidth, profile.MedianHeight));
        var (imageSize, sizeWhy) = ImageSize(side, architecture);
        var (epochs, epochsWhy) = Epochs(profile.ImageCount, options.MaxTrainingTime);
        var chosenEpochs = options.Epochs ?? epochs;
        var batchSize = Math.Min(options.BatchSize, Math.Max(1, profile.ImageCount));
        var (cropScale, cropWhy) = CropScaleMin(side);
        var (learningRate, rateWhy) = LearningRate(batchSize, optimizer.ScaleLearningRateWithBatchSize);
        var (warmup, warmupWhy) = WarmupEpochs(chosenEpochs);
        var (clipping, clippingWhy) = ClippingFactor(batchSize);
        return options with
        {
            Epochs = choices.Choose(options.Epochs, "Epochs", epochs, epochsWhy),
            EarlyStopping = EarlyStoppingDefaults.Apply(options.EarlyStopping, chosenEpochs, validationImages, choices),
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
                ClippingFactor = choices.Choose(optimizer.ClippingFactor, "ClippingFactor", clipping, clippingWhy),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", warmup, warmupWhy)
                    : optimizer.WarmupEpochs,
            },
        };
    }

    /// <summary>The median image's shorter side rounded to a multiple of the network's stride, within [stride,
    /// <see cref="MaxImageSize"/>]: small images are not blown up beyond the stride (measured: the same CPU time buys more
    /// accuracy as epochs than as pixels), large ones are shrunk to the cap.</summary>
    internal static (int Size, string Why) ImageSize(int side, NFNetConfig architecture)
    {
        var stride = architecture.MinimumImageSize;
        var rounded = (int)Math.Round((double)side / stride, MidpointRounding.AwayFromZero) * stride;
        var size = Math.Clamp(rounded, stride, Math.Max(stride, MaxImageSize));
        var why = $"the median image's shorter side is {side} px";
        why += size > rounded || (size == stride && side < stride)
            ? $": the smallest input of the stride-{stride} network"
            : size < rounded
                ? $": at most {MaxImageSize} px when training from scratch"
                : $", rounded to a multiple of the network's stride {stride}";
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
    /// within [<see cref="MinEpochs"/>, <see cref="MaxEpochs"/>]; with a time budget, up to <see cref="BudgetEpochFactor"/>
    /// times that, as many as the budget has room for.</summary>
    internal static (int Epochs, string Why) Epochs(int images, TimeSpan? budget)
    {
        var raw = ReferenceEpochs * Math.Pow((double)ReferenceImages / Math.Max(1, images), EpochExponent);
        var epochs = (int)Math.Clamp(Math.Round(raw), MinEpochs, MaxEpochs);
        var why = $"{images:N0} training images: smaller sets need more passes";
        if (budget is not { } time)
            return (epochs, why);
        var most = Math.Max(epochs, Math.Min(MaxEpochs, BudgetEpochFactor * epochs));
        return (most, $"{why} ({epochs}); with MaxTrainingTime = {time:g}, up to {most} if they fit");
    }

    internal static (double Rate, string Why) LearningRate(int batchSize, bool scaledWithBatchSize)
    {
        if (scaledWithBatchSize)
        {
            // The option means "the rate for a batch of 256": the same peak at batch 32 as without scaling.
            var perBatch256 = PeakLearningRate * WarmupCosineSchedule.ReferenceBatchSize / ReferenceBatchSize;
            return (perBatch256, "0.8 per batch of 256, i.e. 0.1 at batch 32 (ScaleLearningRateWithBatchSize is on)");
        }
        if (batchSize >= ReferenceBatchSize)
            return (PeakLearningRate, "peak SGD rate that trains small data sets quickly under AGC");
        var rate = PeakLearningRate * batchSize / ReferenceBatchSize;
        return (rate, string.Create(CultureInfo.InvariantCulture,
            $"0.1 scaled to batch {batchSize} (linear scaling rule, as at batch 32 and up)"));
    }

    /// <summary>0.01 · (<see cref="LargeBatchSize"/> / batch)^0.4 within [0.01, <see cref="SmallBatchClippingFactor"/>]:
    /// 0.04 at batch 32, 0.017 at 256, 0.01 from 1,024. Noisier small-batch gradients are clipped less tightly (Brock et al.
    /// 2021 report larger optimal λ for smaller batches).</summary>
    internal static (double Factor, string Why) ClippingFactor(int batchSize)
    {
        var factor = Math.Round(Math.Clamp(AdaptiveGradientClipping.DefaultClipFactor
            * Math.Pow((double)LargeBatchSize / batchSize, 0.4), AdaptiveGradientClipping.DefaultClipFactor, SmallBatchClippingFactor), 3);
        return (factor, string.Create(CultureInfo.InvariantCulture,
            $"AGC λ for batch {batchSize}: small batches need a looser clip than DeepMind's 0.01 for batches of thousands"));
    }

    internal static (double Epochs, string Why) WarmupEpochs(int epochs)
    {
        var warmup = Math.Clamp(WarmupShare * epochs, 0.5, 5);
        return (warmup, string.Create(CultureInfo.InvariantCulture,
            $"linear warm-up over {WarmupShare:P0} of the {epochs} epochs (at least half an epoch, at most 5)"));
    }
}

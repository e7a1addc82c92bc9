namespace Microsoft.ML.NFNet;

/// <summary>How evaluation preprocessing resizes an image before the centre crop.</summary>
public enum EvalResizeMode
{
    /// <summary>
    /// Keep the aspect ratio: the shorter side becomes <c>floor(ImageSize / EvalCropFraction)</c>
    /// (torchvision / timm <c>crop_mode='center'</c>).
    /// </summary>
    ShorterSide = 0,

    /// <summary>
    /// Ignore the aspect ratio: both sides become <c>floor(ImageSize / EvalCropFraction)</c> (timm <c>crop_mode='squash'</c>,
    /// which timm's <c>dm_nfnet_*</c> weights use; an approximation of DeepMind's <c>resize_crop_32</c>).
    /// </summary>
    Squash = 1,
}

namespace Microsoft.ML.NFNet;

/// <summary>Which parts of a pretrained NFNet are trained; the rest is frozen (eval mode, no gradients, no optimizer
/// state).</summary>
public enum NFNetTrainableParts
{
    /// <summary>The whole network (full fine-tuning); <c>NFNetTrainingOptions.BackboneLearningRateFactor</c>
    /// scales the rate of everything but the classifier.</summary>
    All = 0,

    /// <summary>Only the classifier <c>head.fc</c> (a linear probe on the frozen backbone's pooled features).</summary>
    Head = 1,

    /// <summary>The last <c>NFNetTrainingOptions.TrainableLastStages</c> stages, the final 1×1 conv and the
    /// classifier; the stem and the earlier stages are frozen.</summary>
    LastStages = 2,
}

using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// A preprocessed training batch. Owns its tensors: dispose it (or move them to a dispose scope) when done.
/// </summary>
/// <param name="Images">float32 <c>[N, 3, S, S]</c>, normalised, augmented and (if on) mixed.</param>
/// <param name="Targets">
/// int64 class indices <c>[N]</c> when batch mixing is off (apply label smoothing in the loss), else float32 soft
/// targets <c>[N, classes]</c> with label smoothing already folded in (use a soft-target cross-entropy).
/// </param>
internal sealed record TrainingBatch(Tensor Images, Tensor Targets) : IDisposable
{
    /// <summary>What mixing was applied (<see cref="BatchMix.None"/> for none).</summary>
    internal BatchMix Mix { get; init; } = BatchMix.None;

    /// <summary>Whether <see cref="Targets"/> are soft (mixed) class distributions rather than class indices.</summary>
    public bool HasSoftTargets => Targets.dtype == ScalarType.Float32;

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Targets.Dispose();
    }
}

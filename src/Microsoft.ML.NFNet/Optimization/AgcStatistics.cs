using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Counts the units adaptive gradient clipping saw and clipped, across any number of calls. The clipped count is kept
/// on the parameters' device, so clipping never waits for the device; reading <see cref="UnitsClipped"/> does, once.
/// </summary>
internal sealed class AgcStatistics : IDisposable
{
    private Tensor? keptUnits;

    /// <summary>Units examined since the last <see cref="Reset"/> (parameters without a gradient are not counted).</summary>
    public long UnitsTotal { get; private set; }

    /// <summary>Units whose gradient was scaled down since the last <see cref="Reset"/>. Synchronizes with the device.</summary>
    public long UnitsClipped => UnitsTotal - (keptUnits?.item<long>() ?? 0);

    /// <summary><see cref="UnitsClipped"/> / <see cref="UnitsTotal"/> (0 before anything was counted).</summary>
    public double ClippedFraction => UnitsTotal == 0 ? 0 : (double)UnitsClipped / UnitsTotal;

    /// <summary>Starts counting from zero.</summary>
    public void Reset()
    {
        keptUnits?.zero_();
        UnitsTotal = 0;
    }

    /// <summary>Records one parameter's units; <paramref name="kept"/> holds how many of them were left unchanged.</summary>
    internal void Add(long units, Tensor kept)
    {
        UnitsTotal += units;
        keptUnits ??= zeros(Array.Empty<long>(), ScalarType.Int64, kept.device).DetachFromDisposeScope();
        keptUnits.PlusInPlace(kept);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        keptUnits?.Dispose();
        keptUnits = null;
    }
}

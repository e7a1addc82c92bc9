namespace Microsoft.ML.NFNet;

/// <summary>Which reference implementation decides the parameters and units that AGC clips in an NFNet.</summary>
internal enum AgcConvention
{
    /// <summary>
    /// timm (<c>--clip-mode agc</c>): the classifier's weight and bias are not clipped, and every conv gain of shape
    /// [O,1,1,1] is clipped per element (one unit per output channel). What the timm training fixtures check.
    /// </summary>
    Timm,

    /// <summary>
    /// DeepMind's <c>SGD_AGC</c>: only the classifier weight is left out (its bias is clipped), and each conv gain
    /// vector is one unit.
    /// </summary>
    DeepMind,
}

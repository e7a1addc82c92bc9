namespace Microsoft.ML.NFNet;

/// <summary>Everything that distinguishes one NF block from another, derived once from the config by <see cref="NFNetLayout"/>.</summary>
/// <param name="Stage">Stage index.</param>
/// <param name="Index">Block index within the stage.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="MidChannels">Bottleneck width (a multiple of the group size).</param>
/// <param name="Groups">Groups of the 3×3 convs.</param>
/// <param name="Stride">Stride of the first 3×3 conv (and the shortcut pool).</param>
/// <param name="Beta">1/√(expected input variance): the pre-activation input scale.</param>
/// <param name="DropPathRate">Stochastic depth rate of this block.</param>
internal sealed record NFBlockSpec(int Stage, int Index, int InChannels, int OutChannels, int MidChannels, int Groups, int Stride,
    double Beta, double DropPathRate)
{
    /// <summary>Transition blocks (channel or resolution change) have a 1×1 conv shortcut.</summary>
    public bool HasProjection => InChannels != OutChannels || Stride != 1;
}

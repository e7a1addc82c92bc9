using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.MLNet.Scaffolding;

/// <summary>SCAFFOLDING. The scaffold's "image features": the relative frequency of each byte value.</summary>
internal static class ByteHistogram
{
    public const int Length = 256;

    public static float[] Compute(in VBuffer<byte> bytes)
    {
        var histogram = new float[Length];
        if (bytes.Length == 0)
            return histogram;
        foreach (var b in bytes.DenseValues())
            histogram[b]++;
        for (var i = 0; i < Length; i++)
            histogram[i] /= bytes.Length;
        return histogram;
    }
}

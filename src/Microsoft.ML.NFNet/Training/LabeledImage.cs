namespace Microsoft.ML.NFNet;

/// <summary>An encoded image (JPEG, PNG, BMP, GIF, WEBP bytes as stored on disk) and its class index.</summary>
/// <param name="Encoded">The encoded bytes.</param>
/// <param name="Label">Class index in [0, class count).</param>
public readonly record struct LabeledImage(ReadOnlyMemory<byte> Encoded, int Label);

namespace Microsoft.ML.NFNet;

/// <summary>
/// Thrown when encoded image bytes cannot be turned into pixels: empty, not an image format we can read, corrupt,
/// truncated, larger than <see cref="ImagePreprocessingOptions.MaxImagePixels"/> or of an unusable shape. The message
/// says which image (its row, file or position) and what is wrong with it. (A <see cref="FormatException"/>: the
/// framework's <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public class InvalidImageException : FormatException
{
    /// <summary>Creates the exception with a message describing what is wrong with the image.</summary>
    public InvalidImageException(string message) : base(message) => Detail = message;

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public InvalidImageException(string message, Exception? innerException) : base(message, innerException) => Detail = message;

    private InvalidImageException(string message, string detail, int batchIndex, Exception? innerException)
        : base(message, innerException)
    {
        Detail = detail;
        BatchIndex = batchIndex;
    }

    /// <summary>What is wrong with the image, without saying which image it is.</summary>
    internal string Detail { get; }

    /// <summary>Position of the offending image in the batch being built, or -1.</summary>
    internal int BatchIndex { get; } = -1;

    /// <summary>The same problem, located: "{where}: {detail}{hint}".</summary>
    internal InvalidImageException At(string where, string hint = "") =>
        new($"{where}: {Detail}{(hint.Length > 0 ? " " + hint : "")}", Detail, -1, this);

    /// <summary>The same problem at <paramref name="batchIndex"/> of a batch being built.</summary>
    internal InvalidImageException InBatch(int batchIndex) =>
        new($"Image {batchIndex} of the batch: {Detail}", Detail, batchIndex, this);
}

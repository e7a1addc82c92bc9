namespace Microsoft.ML.NFNet;

/// <summary>
/// Thrown when encoded image bytes cannot be turned into pixels: empty, not an image format we can read, corrupt,
/// truncated, or larger than <see cref="ImagePreprocessingOptions.MaxImagePixels"/>. The message describes the image
/// only, so a caller can prefix it with the row it came from. (A <see cref="FormatException"/>: the framework's
/// <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public class InvalidImageException : FormatException
{
    /// <summary>Creates the exception with a message describing what is wrong with the image.</summary>
    public InvalidImageException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public InvalidImageException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>
    /// Position of the offending image in the batch being built, or -1 when the image was decoded on its own; lets
    /// the caller map the failure back to a row.
    /// </summary>
    public int BatchIndex { get; init; } = -1;
}

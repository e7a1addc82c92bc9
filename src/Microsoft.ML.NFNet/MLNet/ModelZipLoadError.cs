using System.IO.Compression;
using System.Reflection;

namespace Microsoft.ML.NFNet;

/// <summary>
/// What the library says when it opens a model zip with <c>mlContext.Model.Load</c> and the load fails: the file and
/// the damage in the top-level message, instead of ML.NET's wrappers ("Error during class instantiation", nine levels
/// above the cause) or "Failed to open a zip archive" without the file name.
/// </summary>
internal static class ModelZipLoadError
{
    /// <summary>The error for <paramref name="path"/>, which <c>Model.Load</c> failed to load with <paramref name="error"/>.</summary>
    /// <param name="error">What <c>Model.Load</c> threw.</param>
    /// <param name="path">The model zip.</param>
    /// <param name="option">The option that named it (e.g. <c>PretrainedWeights</c>), first in the message.</param>
    /// <param name="accepted">What the option takes, for a zip that is no model at all.</param>
    public static InvalidDataException Describe(Exception error, string path, string option, string accepted)
    {
        var chain = Chain(error).ToList();
        const string again = "Use an undamaged copy of the file: copy it again, or save the model again.";
        // The library's own checks (checksums, sizes, finite weights) say "corrupt" and name the stream.
        if (chain.OfType<FormatException>().LastOrDefault(e => e.Message.Contains("corrupt", StringComparison.OrdinalIgnoreCase)) is { } corrupt)
            return new InvalidDataException($"{option}: the model zip '{path}' is damaged: {corrupt.Message} {again}", error);
        // System.IO.Compression: a truncated file (no central directory), a damaged entry header or deflate stream.
        if (chain.OfType<InvalidDataException>().LastOrDefault() is { } zip)
            return new InvalidDataException($"{option}: the model zip '{path}' is damaged: the zip file is corrupt or truncated " +
                $"({zip.Message.TrimEnd('.')}). {again}", error);
        var cause = (chain.LastOrDefault() ?? error).Message.TrimEnd('.');
        return HasModelEntries(path)
            ? new InvalidDataException($"{option}: the model zip '{path}' could not be loaded: it is damaged in a part ML.NET " +
                $"reads itself, or was saved by an incompatible version ({cause}). {again}", error)
            : new InvalidDataException($"{option}: '{path}' is a zip file but not an ML.NET model this library can read ({cause}). " +
                $"{option} takes {accepted}.", error);
    }

    // ML.NET writes every component as a folder with a Model.key entry.
    private static bool HasModelEntries(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.Entries.Any(entry => entry.FullName.EndsWith("Model.key", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The exception and its causes, outermost first; reflection's wrapper says nothing of its own.
    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is not TargetInvocationException)
                yield return e;
    }
}

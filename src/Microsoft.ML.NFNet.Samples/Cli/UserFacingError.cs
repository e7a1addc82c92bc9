namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>
/// Turns the errors a user can cause while a command runs (missing or malformed data, unreadable images, a wrong model
/// file) into one line; anything else is a bug and keeps its stack trace. Bad options never get this far: the parser
/// rejects them.
/// </summary>
public static class UserFacingError
{
    public static string? Describe(Exception error) => Unwrap(error) switch
    {
        UsageException e => e.Message,
        InvalidImageException e => e.Message,
        DirectoryNotFoundException e => e.Message,
        FileNotFoundException e => e.FileName is { } file ? $"File '{file}' does not exist." : e.Message,
        InvalidDataException e => e.Message,
        ArgumentException e => e.Message,
        InvalidOperationException e => e.Message,
        FormatException e => e.Message,
        UnauthorizedAccessException e => e.Message,
        IOException e => e.Message,
        _ => null,
    };

    // ML.NET and the training thread wrap the cause; the innermost user-facing error is the one worth printing.
    private static Exception Unwrap(Exception error)
    {
        while (error is AggregateException or System.Reflection.TargetInvocationException or TypeInitializationException
               && error.InnerException is { } inner)
            error = inner;
        if (error.InnerException is { } cause && Describe(cause) is not null)
            return Unwrap(cause);
        return error;
    }
}

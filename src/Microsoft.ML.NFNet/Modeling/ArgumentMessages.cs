namespace Microsoft.ML.NFNet;

/// <summary>Rewording of <see cref="ArgumentException"/>s that are passed on with more context.</summary>
internal static class ArgumentMessages
{
    /// <summary>The message without the " (Parameter 'name')" that <see cref="ArgumentException.Message"/> appends, so that
    /// a rethrow that adds context does not repeat it.</summary>
    public static string WithoutParameter(this ArgumentException e)
    {
        var suffix = e.ParamName is null ? null : $" (Parameter '{e.ParamName}')";
        return suffix is not null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }
}

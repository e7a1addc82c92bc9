namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>The model zip named by the configuration could not be used; thrown at startup, before the server listens.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception with a message that says what is wrong and what to do.</summary>
    public ModelLoadException(string message, Exception? innerException = null) : base(message, innerException) { }
}

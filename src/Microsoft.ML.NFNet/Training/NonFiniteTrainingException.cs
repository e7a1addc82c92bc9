namespace Microsoft.ML.NFNet;

/// <summary>Training diverged: the loss or a gradient became NaN or infinite.</summary>
public sealed class NonFiniteTrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteTrainingException(string message, long step) : base(message) => Step = step;

    /// <summary>The optimizer step (1-based) at which the non-finite value appeared.</summary>
    public long Step { get; }
}

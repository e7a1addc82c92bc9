namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>A value the command line should not have accepted; the parser reports its message as a parse error.</summary>
public sealed class UsageException(string message) : Exception(message);

using System.Runtime.CompilerServices;

// The run-time half of compiling against publicized ML.NET (MLNetInternals.targets): without these, the first call
// into an ML.NET internal throws MethodAccessException / TypeLoadException. Keep the list in step with the
// assemblies the targets file publicizes.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]

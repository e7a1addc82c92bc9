namespace Microsoft.ML.NFNet.Benchmarks;

internal static class Program
{
    public static int Main(string[] args) => BenchmarkCommandLine.Run(args);
}

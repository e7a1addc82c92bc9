using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Samples;

internal static class Program
{
    public static int Main(string[] args) => SampleCommandLine.Run(args);
}

using Microsoft.ML.NFNet.Samples.Commands;

namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>The sample's command line: the Fashion-MNIST run as the root command; train, predict, evaluate and
/// transfer-demo below it.</summary>
internal static class SampleCommandLine
{
    /// <summary>The name in usage lines (the assembly name).</summary>
    public const string Name = "nfnet-samples";

    public static FashionMnistSampleCommand Create()
    {
        var root = new FashionMnistSampleCommand();
        root.Subcommands.Add(new TrainCommand());
        root.Subcommands.Add(new PredictCommand());
        root.Subcommands.Add(new EvaluateCommand());
        root.Subcommands.Add(new TransferDemoCommand());
        return root;
    }

    public static int Run(string[] args) => CommandLineRunner.Run(Create(), Name, args);
}

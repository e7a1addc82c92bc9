namespace Microsoft.ML.NFNet.Samples.Cli;

/// <summary>The text of <c>--help</c> without a command.</summary>
internal static class TopLevelHelp
{
    public const string Text = """
        NFNet image classification with ML.NET (Microsoft.ML.NFNet samples)

        Usage: nfnet-samples [command] [options]

        Commands:
          (none)     Train nfnet_tiny on the embedded Fashion-MNIST subset, evaluate it, save and reload the model,
                     predict a few test images, and write charts and metrics to ./nfnet-output (a few minutes on CPU).
          train      Train a classifier on your own images (one sub-folder per class) and save an ML.NET model zip.
          predict    Classify image files or folders with a saved model (top-3 labels with scores).
          evaluate   Report accuracy, log-loss, per-class metrics and the confusion matrix of a model on a labeled folder.
          bench      Benchmark inference, a training step and the data pipeline; writes JSON and CSV.

        Options of the run without a command: [--epochs 12] [--image-size 64] [--batch-size 32] [--learning-rate 0.1]
                                              [--arch nfnet_tiny] [--seed 1] [--output nfnet-output]

        Use "nfnet-samples <command> --help" for the options of a command.
        """;
}

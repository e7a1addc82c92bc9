using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The required <c>--model</c> option of predict and evaluate.</summary>
internal static class ModelOption
{
    public static Option<string> Create()
    {
        var option = CliOptions.Single("--model", "ML.NET model zip saved by the sample or by train",
            ValueParsers.ExistingFile, "model.zip");
        option.Required = true;
        return option;
    }
}

using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>--model</c> option of predict and evaluate.</summary>
internal static class ModelFile
{
    public static string Require(CommandArguments args)
    {
        var path = args.String("model") ?? throw new UsageException("--model <model.zip> is required.");
        return File.Exists(path) ? path : throw new FileNotFoundException(null, path);
    }
}

using Microsoft.ML.Runtime;

namespace Microsoft.ML.NFNet;

/// <summary>Format checks for the model types this library stores in ML.NET model files.</summary>
internal static class ModelFormat
{
    /// <summary>
    /// <see cref="ModelLoadContext.CheckAtModel(VersionInfo)"/>, but a model written by a newer version of this library
    /// gets a message that says so: ML.NET's own message would tell the user to change their ML.NET version.
    /// </summary>
    public static void CheckAtModel(IExceptionContext ectx, ModelLoadContext ctx, VersionInfo version)
    {
        var header = ctx.Header;
        if (header.ModelSignature == version.ModelSignature && header.ModelVerReadable > version.VerWrittenCur)
        {
            throw ectx.ExceptDecode(
                $"The model component '{version.LoaderSignature}' was saved by a newer version of " +
                $"{typeof(ModelFormat).Assembly.GetName().Name} (format 0x{header.ModelVerReadable:X8}; this version reads up " +
                $"to 0x{version.VerWrittenCur:X8}). Upgrade the package to load this model.");
        }
        ctx.CheckAtModel(version);
    }
}

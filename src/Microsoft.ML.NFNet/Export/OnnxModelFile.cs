using Microsoft.ML.NFNet.Export.Onnx;
using Google.Protobuf;

namespace Microsoft.ML.NFNet;

/// <summary>Writes an ONNX model file atomically: to a temporary name in the same folder, then renamed over the target.</summary>
internal static class OnnxModelFile
{
    public static void Write(ModelProto model, string path)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                model.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads a model file back (for checks of what was written).</summary>
    public static ModelProto Read(string path)
    {
        using var stream = File.OpenRead(path);
        return ModelProto.Parser.ParseFrom(stream);
    }
}

using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Tests.Export;

/// <summary>The README's ONNX Runtime consumer, verbatim: no NFNet or TorchSharp types, only the file's metadata.</summary>
internal static class ReadmeOnnxSnippet
{
    public static (string Label, float Probability)[] Predict(string modelPath, string imagePath)
    {
        // --- README snippet starts ---
        using var session = new InferenceSession(modelPath);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        var pre = JsonDocument.Parse(metadata["nfnet.preprocessing"]).RootElement;
        var labels = JsonSerializer.Deserialize<string[]>(metadata["nfnet.labels"])!;
        int size = pre.GetProperty("image_size").GetInt32(), resize = pre.GetProperty("resize_size").GetInt32();
        var mean = pre.GetProperty("mean").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var std = pre.GetProperty("std").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        // Resize (shorter side or both sides to resize_size), centre-crop image_size, normalise, lay out as NCHW.
        using var image = SKBitmap.Decode(imagePath);
        var (width, height) = pre.GetProperty("resize_mode").GetString() == "squash" ? (resize, resize)
            : image.Width <= image.Height ? (resize, (int)((double)resize * image.Height / image.Width))
            : ((int)((double)resize * image.Width / image.Height), resize);
        using var resized = image.Resize(new SKImageInfo(width, height), SKFilterQuality.High);
        int left = (int)Math.Round((width - size) / 2.0), top = (int)Math.Round((height - size) / 2.0);
        var pixels = new float[3 * size * size];
        for (var y = 0; y < size; y++)
        for (var x = 0; x < size; x++)
        {
            var p = resized.GetPixel(left + x, top + y);
            pixels[0 * size * size + y * size + x] = (p.Red / 255f - mean[0]) / std[0];
            pixels[1 * size * size + y * size + x] = (p.Green / 255f - mean[1]) / std[1];
            pixels[2 * size * size + y * size + x] = (p.Blue / 255f - mean[2]) / std[2];
        }

        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, size, size]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [input], ["probabilities"]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var top3 = probabilities.Select((p, i) => (Label: labels[i], Probability: p)).OrderByDescending(t => t.Probability).Take(3).ToArray();
        // --- README snippet ends ---
        return top3;
    }
}

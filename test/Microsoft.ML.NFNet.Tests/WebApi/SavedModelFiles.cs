using System.Text.Json;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>
/// The checked-in format-1 model (MLNet/SavedModels/format-1): three classes (red, green, blue), three images and the
/// scores and labels the model gave them when it was saved — an answer key the server did not produce.
/// </summary>
internal static class SavedModelFiles
{
    public static string Folder => Path.Combine(TestPaths.ProjectDirectory, "MLNet", "SavedModels", "format-1");

    public static string ModelPath => Path.Combine(Folder, "model.zip");

    public static readonly string[] ClassNames = ["red", "green", "blue"];

    /// <summary>image-0.bin (PNG), image-1.bin (JPEG), image-2.bin (PNG).</summary>
    public static byte[] Image(int index) => File.ReadAllBytes(Path.Combine(Folder, $"image-{index}.bin"));

    public static Expected ReadExpected() =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Folder, "expected.json")))!;

    /// <summary>Per image: the probability of each class (in <see cref="ClassNames"/> order) and the predicted label.</summary>
    public sealed record Expected(float[][] Scores, string[] Labels);
}

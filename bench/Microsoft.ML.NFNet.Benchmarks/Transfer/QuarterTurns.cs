using Microsoft.ML.NFNet.Benchmarks.SmallData;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>
/// Pretraining with rotation labels (self-supervised label augmentation, Lee et al., ICML 2020): every image is shown in
/// its four quarter turns, each pair of class and turn is a class of its own, so the network must learn what a garment
/// looks like turned, not only which of a few classes it is. The export keeps the upright classes' rows of the head: an
/// ordinary classifier of the original classes.
/// </summary>
internal static class QuarterTurns
{
    private const int Turns = 4;

    /// <summary>The four quarter turns of each image, labelled <c>class × 4 + turn</c>.</summary>
    public static IEnumerable<PixelImage> Expand(IEnumerable<PixelImage> images) =>
        images.SelectMany(image => Enumerable.Range(0, Turns).Select(turn => Rotate(image, turn) with { Label = image.Label * Turns + turn }));

    /// <summary>The names of the joint labels of <see cref="Expand"/>: <c>"Coat 90°"</c>.</summary>
    public static string[] JointNames(IReadOnlyList<string> classNames) =>
        Enumerable.Range(0, classNames.Count * Turns).Select(j => JointName(classNames[j / Turns], j % Turns)).ToArray();

    /// <summary>Each class of <paramref name="classNames"/> that the trained head has, with the row of its upright label
    /// in <paramref name="labels"/> (the head's order).</summary>
    public static (string Class, int Row)[] UprightRows(IReadOnlyList<string> labels, IReadOnlyList<string> classNames)
    {
        var row = labels.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index);
        return classNames.Where(name => row.ContainsKey(JointName(name, 0))).Select(name => (name, row[JointName(name, 0)])).ToArray();
    }

    /// <summary>Exports the network of <paramref name="parameters"/> (trained on joint labels) as a classifier of the
    /// upright classes only: every tensor as trained, the head's <paramref name="upright"/> rows.</summary>
    public static void ExportUpright(NFNetModelParameters parameters, string target, IReadOnlyList<(string Class, int Row)> upright)
    {
        parameters.Network.WithModel(trained =>
        {
            using var model = new NFNetModel(parameters.Architecture, upright.Count);
            var source = trained.state_dict();
            using (no_grad())
            using (var rows = tensor(upright.Select(c => (long)c.Row).ToArray()))
            {
                foreach (var (name, value) in model.state_dict())
                {
                    if (name.StartsWith("head.fc.", StringComparison.Ordinal))
                    {
                        using var selected = source[name].index_select(0, rows);
                        value.copy_(selected);
                    }
                    else
                    {
                        value.copy_(source[name]);
                    }
                }
            }
            model.ExportTimm(target, parameters.Preprocessing, upright.Select(c => c.Class).ToArray());
            return 0;
        });
    }

    private static string JointName(string className, int turn) => $"{className} {turn * 90}°";

    /// <summary><paramref name="image"/> turned clockwise <paramref name="turns"/> quarter turns.</summary>
    internal static PixelImage Rotate(PixelImage image, int turns)
    {
        turns = ((turns % Turns) + Turns) % Turns;
        var (width, height, channels) = (image.Width, image.Height, image.Channels);
        var (outWidth, outHeight) = turns % 2 == 0 ? (width, height) : (height, width);
        var output = new byte[image.Pixels.Length];
        for (var y = 0; y < outHeight; y++)
        for (var x = 0; x < outWidth; x++)
        {
            // The source pixel that lands on (x, y) after the turn.
            var (sx, sy) = turns switch
            {
                0 => (x, y),
                1 => (y, height - 1 - x),
                2 => (width - 1 - x, height - 1 - y),
                _ => (width - 1 - y, x),
            };
            Array.Copy(image.Pixels, (sy * width + sx) * channels, output, (y * outWidth + x) * channels, channels);
        }
        return image with { Width = outWidth, Height = outHeight, Pixels = output };
    }
}

using TorchSharp;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The one pass over a data source before training (in parallel, cancellable): every image's header is read, and an
/// image that is no image, declares an unacceptable size or is cut short fails training before it starts (naming the
/// image) or is left out and counted; the sizes and colours of the rest are measured for the automatic settings.
/// Pixels are decoded only where the header cannot vouch for the image (<see cref="ImageHeaderCheck.NeedsDecoding"/>:
/// formats other than JPEG and PNG, or data after the end marker); damage inside a complete-looking JPEG or PNG shows
/// when training decodes it (<see cref="LeftOutImages"/>).
/// </summary>
internal sealed class DataSourceScan
{
    private DataSourceScan(IReadOnlySet<int> invalid, DatasetProfile profile)
    {
        Invalid = invalid;
        Profile = profile;
    }

    /// <summary>Indices of the images left out because they cannot be decoded.</summary>
    public IReadOnlySet<int> Invalid { get; }

    public DatasetProfile Profile { get; }

    /// <param name="data">The images.</param>
    /// <param name="role">"training" or "validation", for messages.</param>
    /// <param name="limit">The decoder's size limits (pixels, aspect ratio).</param>
    /// <param name="skipInvalid">Leave undecodable images out instead of failing.</param>
    /// <param name="cancellationToken">Checked between images.</param>
    /// <exception cref="InvalidImageException">An image fails the check and <paramref name="skipInvalid"/> is false;
    /// the message names the first such image in data order.</exception>
    public static DataSourceScan Run(ImageDataSource data, string role, ImageSizeLimit limit, bool skipInvalid,
        CancellationToken cancellationToken)
    {
        var failures = new InvalidImageException?[data.Count];
        var shapes = new (int Width, int Height, bool Gray, int Label)[data.Count];
        // One image per core: more would only make each decode slower and a cancellation wait for all of them.
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        try
        {
            Parallel.For(0, data.Count, parallel, (i, state) =>
            {
                try
                {
                    var image = data[i];
                    var (width, height, gray) = Measure(image.Encoded.Span, limit);
                    shapes[i] = (width, height, gray, image.Label);
                }
                catch (InvalidImageException e)
                {
                    failures[i] = e;
                    if (!skipInvalid)
                        state.Break(); // images after the first failure need not be checked
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        var invalid = new HashSet<int>();
        for (var i = 0; i < failures.Length; i++)
        {
            if (failures[i] is not { } failure)
                continue;
            if (!skipInvalid)
                throw failure.At($"{data.Describe(i)} of the {role} data", LeftOutImages.SkipHint);
            invalid.Add(i);
        }
        return new DataSourceScan(invalid, Summarize(data, shapes, invalid));
    }

    private static (int Width, int Height, bool Gray) Measure(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        if (ImageHeaderCheck.Read(encoded, limit) is { NeedsDecoding: false } header)
            return (header.Width, header.Height, header.Grayscale);
        return Decode(encoded, limit);
    }

    private static (int Width, int Height, bool Gray) Decode(ReadOnlySpan<byte> encoded, ImageSizeLimit limit)
    {
        // One image per thread already (the scan runs on every core): libtorch's own threads would only compete.
        using var singleThreaded = PerThreadTorchThreads.SingleThreaded();
        using var scope = torch.NewDisposeScope();
        var rgb = ImageDecoder.DecodeRgb(encoded, limit);
        var gray = rgb[0].eq(rgb[1]).all().item<bool>() && rgb[0].eq(rgb[2]).all().item<bool>();
        return ((int)rgb.shape[2], (int)rgb.shape[1], gray);
    }

    private static DatasetProfile Summarize(ImageDataSource data, (int Width, int Height, bool Gray, int Label)[] shapes,
        HashSet<int> invalid)
    {
        var usable = Enumerable.Range(0, data.Count).Where(i => !invalid.Contains(i)).ToArray();
        if (usable.Length == 0)
            return new DatasetProfile(0, data.ClassCount, 0, 0, 0, 0, 0);
        var perClass = usable.GroupBy(i => shapes[i].Label).Select(g => g.Count()).ToArray();
        return new DatasetProfile(
            usable.Length,
            data.ClassCount,
            perClass.Min(),
            perClass.Max(),
            Median(usable.Select(i => shapes[i].Width)),
            Median(usable.Select(i => shapes[i].Height)),
            usable.Count(i => shapes[i].Gray) / (double)usable.Length);
    }

    private static int Median(IEnumerable<int> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}

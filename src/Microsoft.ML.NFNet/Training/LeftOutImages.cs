using System.Collections.Concurrent;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The images a run leaves out because they cannot be decoded: those the check before training found, and those found
/// while training, since that check reads headers only and damage inside a file shows when its pixels are decoded.
/// Safe on any number of threads.
/// </summary>
internal sealed class LeftOutImages
{
    /// <summary>What to do about an image that cannot be decoded.</summary>
    public const string SkipHint = "Fix or remove the image, or set SkipInvalidImages = true to leave such images out.";

    private readonly ConcurrentDictionary<int, bool> training;
    private readonly ConcurrentDictionary<int, bool> validation;
    private readonly ConcurrentQueue<string> notes = new();

    /// <param name="skip">SkipInvalidImages: leave images out instead of failing.</param>
    /// <param name="training">Training images the check left out.</param>
    /// <param name="validation">Validation images the check left out.</param>
    public LeftOutImages(bool skip, IEnumerable<int> training, IEnumerable<int> validation)
    {
        Skip = skip;
        this.training = new(training.Select(i => KeyValuePair.Create(i, true)));
        this.validation = new(validation.Select(i => KeyValuePair.Create(i, true)));
    }

    public bool Skip { get; }

    /// <summary>Images left out so far, training and validation.</summary>
    public int Count => training.Count + validation.Count;

    /// <summary>The training images left out so far, in data order.</summary>
    public IReadOnlyList<int> Training => [.. training.Keys.Order()];

    /// <summary>Whether training (or validation) image <paramref name="index"/> is left out.</summary>
    public bool Contains(int index, bool isValidation) => (isValidation ? validation : training).ContainsKey(index);

    /// <summary>An image failed to decode while training: leaves it out when skipping (with a note for the log),
    /// else throws the failure, naming the image.</summary>
    /// <exception cref="InvalidImageException">Not skipping.</exception>
    public void Add(InvalidImageException failure, ImageDataSource data, int index, bool isValidation)
    {
        var where = $"{data.Describe(index)} of the {(isValidation ? "validation" : "training")} data";
        if (!Skip)
            throw failure.At(where, SkipHint + " (The check before training reads the images' headers only; damage inside " +
                "a file shows when its pixels are decoded.)");
        if ((isValidation ? validation : training).TryAdd(index, true))
            notes.Enqueue($"Left out {where}: it cannot be decoded ({failure.Detail}) (SkipInvalidImages = true).");
    }

    /// <summary>Notes about images left out since the last call.</summary>
    public IEnumerable<string> TakeNotes()
    {
        while (notes.TryDequeue(out var note))
            yield return note;
    }
}

namespace Microsoft.ML.NFNet.Benchmarks.Memory;

/// <summary>A row of the <c>mlnet</c> mode's data view: a file path and its folder's name as the label.</summary>
internal sealed class ImagePath
{
    public string Path { get; set; } = "";
    public string Label { get; set; } = "";
}

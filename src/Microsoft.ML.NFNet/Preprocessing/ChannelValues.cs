namespace Microsoft.ML.NFNet;

/// <summary>A copy of per-channel values (a mean or a standard deviation) that compares by its numbers, so that
/// <see cref="ImagePreprocessingOptions"/> keeps the value equality of a record.</summary>
internal sealed class ChannelValues : IEquatable<ChannelValues>
{
    private ChannelValues(double[] values) => Values = values;

    public IReadOnlyList<double> Values { get; }

    public static ChannelValues? Of(IReadOnlyList<double>? values) => values is null ? null : new(values.ToArray());

    public bool Equals(ChannelValues? other) => other is not null && Values.SequenceEqual(other.Values);

    public override bool Equals(object? obj) => Equals(obj as ChannelValues);

    public override int GetHashCode() => Values.Aggregate(0, (hash, value) => HashCode.Combine(hash, value));
}

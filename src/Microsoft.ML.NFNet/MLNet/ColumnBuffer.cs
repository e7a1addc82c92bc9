using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet;

/// <summary>
/// The values of one input column for the rows of a batch, read ahead from the input cursor and served back row by
/// row. Vectors are copied (an ML.NET getter may reuse its buffers for the next row); other values are kept as the
/// getter returns them, as ML.NET's own cache and row splitter do.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>A buffer of <paramref name="capacity"/> rows for <paramref name="column"/> of <paramref name="input"/>.</summary>
    public static ColumnBuffer Create(DataViewRow input, DataViewSchema.Column column, int capacity)
    {
        var type = column.Type is VectorDataViewType vector
            ? typeof(VectorColumnBuffer<>).MakeGenericType(vector.ItemType.RawType)
            : typeof(ScalarColumnBuffer<>).MakeGenericType(column.Type.RawType);
        return (ColumnBuffer)Activator.CreateInstance(type, input, column, capacity)!;
    }

    /// <summary>Reads the input's current value into row <paramref name="slot"/>.</summary>
    public abstract void Read(int slot);

    /// <summary>A getter of the value in the row <paramref name="slot"/> returns.</summary>
    public abstract ValueGetter<TValue> GetGetter<TValue>(Func<int> slot);

    private protected static InvalidOperationException WrongType<TValue, T>(DataViewSchema.Column column) =>
        new($"Invalid TValue in GetGetter: '{typeof(TValue)}'; column '{column.Name}' holds {typeof(T)}.");
}

/// <summary>A <see cref="ColumnBuffer"/> of scalars (numbers, text, keys, ...).</summary>
internal sealed class ScalarColumnBuffer<T> : ColumnBuffer
{
    private readonly DataViewSchema.Column column;
    private readonly ValueGetter<T> source;
    private readonly T[] values;

    public ScalarColumnBuffer(DataViewRow input, DataViewSchema.Column column, int capacity)
    {
        this.column = column;
        source = input.GetGetter<T>(column);
        values = new T[capacity];
    }

    public override void Read(int slot) => source(ref values[slot]);

    public override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
    {
        ValueGetter<T> getter = (ref T dst) => dst = values[slot()];
        return getter as ValueGetter<TValue> ?? throw WrongType<TValue, T>(column);
    }
}

/// <summary>A <see cref="ColumnBuffer"/> of vectors.</summary>
internal sealed class VectorColumnBuffer<T> : ColumnBuffer
{
    private readonly DataViewSchema.Column column;
    private readonly ValueGetter<VBuffer<T>> source;
    private readonly VBuffer<T>[] values;
    private VBuffer<T> scratch;

    public VectorColumnBuffer(DataViewRow input, DataViewSchema.Column column, int capacity)
    {
        this.column = column;
        source = input.GetGetter<VBuffer<T>>(column);
        values = new VBuffer<T>[capacity];
    }

    public override void Read(int slot)
    {
        source(ref scratch);
        scratch.CopyTo(ref values[slot]);
    }

    public override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
    {
        ValueGetter<VBuffer<T>> getter = (ref VBuffer<T> dst) => values[slot()].CopyTo(ref dst);
        return getter as ValueGetter<TValue> ?? throw WrongType<TValue, VBuffer<T>>(column);
    }
}

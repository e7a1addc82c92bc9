using Microsoft.ML.NFNet.Export.Onnx;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Appends nodes and float32 initializers to an ONNX graph in the standard domain, with unique value names, so the
/// network writer reads as a list of operations.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly Dictionary<string, int> nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> scalars = new();

    public OnnxGraphBuilder(string graphName)
    {
        Graph = new GraphProto { Name = graphName };
    }

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; }

    /// <summary>Bytes of every initializer added so far (protobuf messages are limited to 2 GiB).</summary>
    public long InitializerBytes { get; private set; }

    /// <summary>Adds a float32 initializer holding <paramref name="values"/> (row-major) and returns its name.</summary>
    public string Initializer(string name, float[] values, params long[] dims)
    {
        if (values.LongLength != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"Initializer '{name}': {values.Length} values do not fill shape [{string.Join(", ", dims)}].");
        // raw_data is little-endian by the ONNX spec; every platform .NET runs on is.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX export needs a little-endian platform.");
        var tensor = new TensorProto
        {
            Name = UniqueName(name),
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(values.AsSpan()).ToArray()),
        };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        InitializerBytes += tensor.RawData.Length;
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer (shapes, axes) and returns its name.</summary>
    public string Int64Initializer(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = UniqueName(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float32 scalar constant (shape []), shared by every node that multiplies by the same value.</summary>
    public string Scalar(float value)
    {
        var bits = BitConverter.SingleToInt32Bits(value);
        if (!scalars.TryGetValue(bits, out var name))
            scalars[bits] = name = Initializer("const", [value]);
        return name;
    }

    /// <summary>Appends a node and returns the name of its (single) output.</summary>
    public string Node(string opType, string nameHint, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        AddNode(opType, UniqueName(nameHint), inputs, attributes);

    /// <summary>Appends a node whose output is a graph output, named exactly <paramref name="outputName"/>.</summary>
    public string OutputNode(string opType, string outputName, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        if (nameCounts.ContainsKey(outputName))
            throw new InvalidOperationException($"The ONNX value name '{outputName}' is already used.");
        nameCounts[outputName] = 1;
        return AddNode(opType, outputName, inputs, attributes);
    }

    private string AddNode(string opType, string output, IEnumerable<string> inputs, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Declares a graph input and returns its name.</summary>
    public string Input(ValueInfoProto value)
    {
        if (!nameCounts.TryAdd(value.Name, 1))
            throw new InvalidOperationException($"The ONNX value name '{value.Name}' is already used.");
        Graph.Input.Add(value);
        return value.Name;
    }

    /// <summary>Declares a graph output (the value must be produced by <see cref="OutputNode"/>).</summary>
    public void Output(ValueInfoProto value) => Graph.Output.Add(value);

    /// <summary>Declares a float32 graph input or output with the given dimensions (a string is a symbolic dimension).</summary>
    public static ValueInfoProto FloatValue(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string UniqueName(string hint)
    {
        var count = nameCounts.GetValueOrDefault(hint);
        nameCounts[hint] = count + 1;
        return count == 0 ? hint : $"{hint}_{count}";
    }
}

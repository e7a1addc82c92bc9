using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.MLNet.Scaffolding;

/// <summary>
/// SCAFFOLDING, to be replaced by the NFNet trainer. Shows the trainer shape the real one needs: an
/// <see cref="ITrainerEstimator{TTransformer, TModel}"/> that takes encoded image bytes and a key label and returns
/// ML.NET's own <see cref="MulticlassPredictionTransformer{TModel}"/>, so Score carries the class names as slot names,
/// PredictedLabel is a key with the label's values, and MapKeyToValue, Evaluate and PredictionEngine work unchanged.
/// "Training" is a nearest-centroid classifier written as a linear layer: weight row c is the mean histogram h_c of
/// class c and its bias is -|h_c|²/2, so the largest score belongs to the nearest centroid.
/// </summary>
internal sealed class ByteHistogramTrainer
    : ITrainerEstimator<MulticlassPredictionTransformer<ByteHistogramModelParameters>, ByteHistogramModelParameters>
{
    private readonly IHost _host;
    private readonly string _labelColumnName;
    private readonly string _featureColumnName;

    internal ByteHistogramTrainer(IHostEnvironment env, string labelColumnName, string featureColumnName)
    {
        ArgumentNullException.ThrowIfNull(env);
        _host = env.Register(nameof(ByteHistogramTrainer));
        _labelColumnName = labelColumnName;
        _featureColumnName = featureColumnName;
    }

    public TrainerInfo Info { get; } = new(normalization: false, caching: false);

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.TryFindColumn(_featureColumnName, out var feature))
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "feature", _featureColumnName);
        // MulticlassPredictionTransformer persists its training schema with BinarySaver, which drops MLImage columns;
        // encoded bytes are the type that survives Save/Load.
        if (feature.Kind == SchemaShape.Column.VectorKind.Scalar || feature.ItemType != NumberDataViewType.Byte)
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "feature", _featureColumnName,
                "vector of Byte (encoded image bytes)", feature.GetTypeString());
        if (!inputSchema.TryFindColumn(_labelColumnName, out var label))
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "label", _labelColumnName);
        if (!label.IsKey)
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "label", _labelColumnName,
                "key (use MapValueToKey)", label.GetTypeString());

        // The same output columns ML.NET's multiclass trainers declare.
        var predictedLabelAnnotations = label.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation());
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[DefaultColumnNames.Score] = new SchemaShape.Column(DefaultColumnNames.Score,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label)));
        columns[DefaultColumnNames.PredictedLabel] = new SchemaShape.Column(DefaultColumnNames.PredictedLabel,
            SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(predictedLabelAnnotations));
        return new SchemaShape(columns.Values);
    }

    public MulticlassPredictionTransformer<ByteHistogramModelParameters> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema)); // validates the columns
        var labelColumn = input.Schema[_labelColumnName];
        var classCount = checked((int)((KeyDataViewType)labelColumn.Type).Count);
        _host.CheckParam(classCount > 1, nameof(input), "The label needs at least two classes.");

        var (weight, bias) = Centroids(input, labelColumn, input.Schema[_featureColumnName], classCount);
        using (weight)
        using (bias)
        {
            var model = new ByteHistogramModelParameters(_host, weight, bias);
            return new MulticlassPredictionTransformer<ByteHistogramModelParameters>(
                _host, model, input.Schema, _featureColumnName, _labelColumnName);
        }
    }

    private static (Tensor Weight, Tensor Bias) Centroids(IDataView input, DataViewSchema.Column labelColumn,
        DataViewSchema.Column featureColumn, int classCount)
    {
        var sums = new float[classCount, ByteHistogram.Length];
        var counts = new int[classCount];
        using (var cursor = input.GetRowCursor(new[] { labelColumn, featureColumn }))
        {
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var getFeatures = cursor.GetGetter<VBuffer<byte>>(featureColumn);
            uint key = 0;
            VBuffer<byte> bytes = default;
            while (cursor.MoveNext())
            {
                getLabel(ref key);
                if (key == 0)
                    continue; // missing label
                getFeatures(ref bytes);
                var histogram = ByteHistogram.Compute(bytes);
                var c = (int)key - 1;
                counts[c]++;
                for (var i = 0; i < histogram.Length; i++)
                    sums[c, i] += histogram[i];
            }
        }

        using var scope = NewDisposeScope();
        var weight = tensor(sums) / tensor(counts).clamp_min(1).to(ScalarType.Float32).unsqueeze(1);
        var bias = -0.5f * weight.square().sum(1);
        return (weight.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope());
    }
}

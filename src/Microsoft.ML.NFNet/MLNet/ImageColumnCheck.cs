using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.NFNet;

/// <summary>The one check of an encoded-image column (trainer, scoring transformers, featurizer), with the hint a user
/// needs when the column holds something else.</summary>
internal static class ImageColumnCheck
{
    /// <summary>Returns the column; throws a schema mismatch that says what to do when it is missing or not a byte vector.</summary>
    /// <param name="ectx">Reports the error.</param>
    /// <param name="schema">The schema to look in.</param>
    /// <param name="columnName">The image column.</param>
    /// <param name="role">How the error calls the column ("feature", "input", ...).</param>
    public static SchemaShape.Column Check(IExceptionContext ectx, SchemaShape schema, string columnName, string role)
    {
        if (!schema.TryFindColumn(columnName, out var column))
            throw ectx.ExceptSchemaMismatch(nameof(schema), role, columnName);
        if (column.Kind == SchemaShape.Column.VectorKind.Scalar || column.ItemType != NumberDataViewType.Byte)
        {
            // MulticlassPredictionTransformer persists its training schema with BinarySaver, which drops MLImage
            // columns; encoded bytes are the type that survives Save/Load.
            var hint = column.ItemType is ImageDataViewType
                ? "Load the encoded file bytes instead of MLImage, e.g. with mlContext.Transforms.LoadRawImageBytes."
                : column.ItemType is TextDataViewType
                    ? "The column holds text (a path?): load the image files' bytes, e.g. with mlContext.Transforms.LoadRawImageBytes or File.ReadAllBytes."
                    : "Pass the image files' bytes (byte[]), e.g. from mlContext.Transforms.LoadRawImageBytes or File.ReadAllBytes.";
            throw ectx.ExceptSchemaMismatch(nameof(schema), role, columnName,
                "vector of Byte (encoded image bytes). " + hint, column.GetTypeString());
        }
        return column;
    }

    /// <summary>As <see cref="Check(IExceptionContext, SchemaShape, string, string)"/> on a data view's schema; returns the column.</summary>
    public static DataViewSchema.Column Check(IExceptionContext ectx, DataViewSchema schema, string columnName, string role)
    {
        Check(ectx, SchemaShape.Create(schema), columnName, role);
        return schema[columnName];
    }
}

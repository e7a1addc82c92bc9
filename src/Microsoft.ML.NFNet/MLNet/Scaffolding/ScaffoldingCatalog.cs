using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.MLNet.Scaffolding;

/// <summary>
/// SCAFFOLDING. Shows the catalog route the real <c>Trainers.NFNet(...)</c> extension takes: the host environment comes
/// from the catalog through ML.NET's internal <see cref="CatalogUtils.GetEnvironment"/>.
/// </summary>
internal static class ScaffoldingCatalog
{
    internal static ByteHistogramTrainer ByteHistogramScaffold(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label,
        string featureColumnName = DefaultColumnNames.Features)
        => new(catalog.GetEnvironment(), labelColumnName, featureColumnName);
}
